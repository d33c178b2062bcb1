"""Reauthentication and reconfiguration of a Last.fm entry: the same approval, the same account."""

from collections.abc import AsyncGenerator

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import (
    CONF_API_ROOT,
    CONF_API_SECRET,
    CONF_AUTH_URL,
    CONF_SESSION_KEY,
    DOMAIN,
)
from custom_components.scrobbler.lastfm_flow import unique_id_of
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm

from .conftest import current_step, keys_input, suggested_values

OTHER_KEY = "a" * 32
OTHER_SECRET = "b" * 32


@pytest.fixture
async def other_server(lastfm_server: FakeLastfm) -> AsyncGenerator[FakeLastfm]:
    """A second service that knows the same application and user (another API root)."""
    async with FakeLastfm() as server:
        server.register_app(API_KEY, API_SECRET)
        server.add_user(USERNAME, playcount=1)
        yield server


async def approve_and_finish(
    hass: HomeAssistant, server: FakeLastfm, flow_id: str, user: str = USERNAME
) -> FlowResult:
    server.approve_pending(user)
    await hass.async_block_till_done()
    result: FlowResult = await hass.config_entries.flow.async_configure(flow_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def test_reauth_after_a_revoked_session(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    old_key = lastfm_entry.data[CONF_SESSION_KEY]
    lastfm_server.revoke_session(old_key)
    assert not await hass.config_entries.async_setup(lastfm_entry.entry_id)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    step = current_step(hass, flow["flow_id"])
    assert step["step_id"] == "lastfm_reauth_confirm"
    assert step["description_placeholders"]["username"] == USERNAME

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    # The same API account asks again.
    assert lastfm_server.requests_of("auth.getToken")[-1].params["api_key"] == API_KEY
    result = await approve_and_finish(hass, lastfm_server, flow["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    new_key = lastfm_entry.data[CONF_SESSION_KEY]
    assert new_key == lastfm_server.issue_session(USERNAME)
    assert new_key != old_key
    assert lastfm_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_another_account_approves(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry, source: str
) -> None:
    lastfm_server.add_user("bob")
    data = dict(lastfm_entry.data)
    if source == "reauth":
        result = await lastfm_entry.start_reauth_flow(hass)
        user_input = {}
    else:
        result = await lastfm_entry.start_reconfigure_flow(hass)
        user_input = keys_input(lastfm_server)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    result = await approve_and_finish(hass, lastfm_server, result["flow_id"], "bob")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert lastfm_entry.data == data


async def test_reauth_while_the_service_is_down(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    result = await lastfm_entry.start_reauth_flow(hass)
    lastfm_server.fail_next(Failure.HTTP_503)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_reauth_confirm"
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_with_another_api_account(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    lastfm_server.register_app(OTHER_KEY, OTHER_SECRET)
    result = await lastfm_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_reconfigure"
    # The secret is not sent back to the browser.
    assert suggested_values(result) == {
        "service": "custom",
        CONF_API_ROOT: lastfm_server.api_root,
        CONF_AUTH_URL: lastfm_server.auth_url,
        CONF_API_KEY: API_KEY,
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        keys_input(lastfm_server, api_key=OTHER_KEY, api_secret=OTHER_SECRET),
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await approve_and_finish(hass, lastfm_server, result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert lastfm_entry.data[CONF_API_KEY] == OTHER_KEY
    assert lastfm_entry.data[CONF_API_SECRET] == OTHER_SECRET
    assert lastfm_entry.data[CONF_SESSION_KEY] == lastfm_server.issue_session(USERNAME, OTHER_KEY)


async def test_reconfigure_keeps_the_secret_left_empty(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys_input(lastfm_server, api_secret="")
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await approve_and_finish(hass, lastfm_server, result["flow_id"])
    assert result["reason"] == "reconfigure_successful"
    assert lastfm_entry.data[CONF_API_SECRET] == API_SECRET


async def test_reconfigure_rejected_secret(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys_input(lastfm_server, api_secret="0" * 32)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_reconfigure"
    assert result["errors"] == {CONF_API_SECRET: "invalid_secret"}


async def test_reconfigure_moves_the_account_to_another_service(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    other_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
) -> None:
    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys_input(other_server)
    )
    result = await approve_and_finish(hass, other_server, result["flow_id"])
    assert result["reason"] == "reconfigure_successful"
    assert lastfm_entry.unique_id == unique_id_of(other_server.api_root, USERNAME)
    assert lastfm_entry.data[CONF_API_ROOT] == other_server.api_root
    assert lastfm_entry.title.startswith(f"{USERNAME} (127.0.0.1:")


async def test_reconfigure_onto_an_account_already_configured(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    other_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
) -> None:
    MockConfigEntry(
        domain=DOMAIN, unique_id=unique_id_of(other_server.api_root, USERNAME), data={}
    ).add_to_hass(hass)
    data = dict(lastfm_entry.data)
    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys_input(other_server)
    )
    result = await approve_and_finish(hass, other_server, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert lastfm_entry.data == data
