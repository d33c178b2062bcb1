"""Reauthentication and reconfiguration of a Last.fm entry: the same approval, the same account."""

from collections.abc import AsyncGenerator
from urllib.parse import urlsplit

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import (
    CONF_API_ROOT,
    CONF_API_SECRET,
    CONF_AUTH_URL,
    CONF_SERVICE,
    CONF_SESSION_KEY,
    DOMAIN,
)
from custom_components.scrobbler.lastfm.services import (
    CUSTOM_ID,
    LASTFM,
    LIBREFM,
    LastfmService,
    normalize_api_root,
)
from custom_components.scrobbler.lastfm_account import unique_id_of
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm

from .conftest import (
    approve_and_finish,
    current_step,
    entry_data,
    reconfigure_input,
    start_flow,
    submit_api_account,
    suggested_values,
)

OTHER_KEY = "a" * 32
OTHER_SECRET = "b" * 32


@pytest.fixture
async def other_server(lastfm_server: FakeLastfm) -> AsyncGenerator[FakeLastfm]:
    """A second service that knows the same application and user (another API root)."""
    async with FakeLastfm() as server:
        server.register_app(API_KEY, API_SECRET)
        server.add_user(USERNAME, playcount=1)
        yield server


async def test_reauth_after_a_revoked_session(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    old_key = lastfm_entry.data[CONF_SESSION_KEY]
    lastfm_server.revoke_session(old_key)
    assert await hass.config_entries.async_setup(lastfm_entry.entry_id)
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
        user_input = reconfigure_input(lastfm_server)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    result = await approve_and_finish(hass, lastfm_server, result["flow_id"], "bob")
    assert result["type"] is FlowResultType.ABORT
    if source == "reauth":
        assert result["reason"] == "wrong_account"
    else:
        assert result["reason"] == "lastfm_reconfigure_wrong_account"
        assert result["description_placeholders"] == {"username": USERNAME, "approved": "bob"}
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
    # The secret is not sent back to the browser; the service cannot change.
    assert suggested_values(result) == {
        CONF_API_ROOT: lastfm_server.api_root,
        CONF_AUTH_URL: lastfm_server.auth_url,
        CONF_API_KEY: API_KEY,
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        reconfigure_input(lastfm_server, api_key=OTHER_KEY, api_secret=OTHER_SECRET),
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
        result["flow_id"], reconfigure_input(lastfm_server, api_secret="")
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
        result["flow_id"], reconfigure_input(lastfm_server, api_secret="0" * 32)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_reconfigure"
    assert result["errors"] == {CONF_API_SECRET: "invalid_secret"}


async def test_custom_server_moves_and_keeps_its_entities_and_device(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    other_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The server got a new address: same entities, same device, no unavailable leftovers."""
    assert await hass.config_entries.async_setup(lastfm_entry.entry_id)
    await hass.async_block_till_done()
    before = registry_of(lastfm_entry, device_registry, entity_registry)

    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reconfigure_input(other_server)
    )
    result = await approve_and_finish(hass, other_server, result["flow_id"])

    assert result["reason"] == "reconfigure_successful"
    assert lastfm_entry.state is ConfigEntryState.LOADED
    assert lastfm_entry.unique_id == unique_id_of(other_server.api_root, USERNAME)
    assert lastfm_entry.data[CONF_API_ROOT] == other_server.api_root
    assert lastfm_entry.title == f"{USERNAME} on {urlsplit(other_server.api_root).netloc}"
    assert registry_of(lastfm_entry, device_registry, entity_registry) == before
    assert len(hass.states.async_all("sensor")) == 7
    state = hass.states.get("sensor.alice_scrobbles")
    assert state is not None
    assert state.state == "1"  # the playcount the server at the new address reports


def registry_of(
    entry: MockConfigEntry, devices: dr.DeviceRegistry, entities: er.EntityRegistry
) -> tuple[set[str], set[tuple[str, str, str | None]]]:
    """Return the devices of an entry, and its entities with their unique ids and device."""
    return (
        {device.id for device in dr.async_entries_for_config_entry(devices, entry.entry_id)},
        {
            (entity.entity_id, entity.unique_id, entity.device_id)
            for entity in er.async_entries_for_config_entry(entities, entry.entry_id)
        },
    )


async def test_reconfigure_keeps_a_title_the_user_chose(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    other_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
) -> None:
    hass.config_entries.async_update_entry(lastfm_entry, title="Home server")
    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reconfigure_input(other_server)
    )
    result = await approve_and_finish(hass, other_server, result["flow_id"])
    assert result["reason"] == "reconfigure_successful"
    assert lastfm_entry.title == "Home server"


@pytest.mark.parametrize("service", [LASTFM, LIBREFM])
async def test_reconfigure_of_a_known_service_keeps_it(
    hass: HomeAssistant, lastfm_server: FakeLastfm, service: LastfmService
) -> None:
    """Last.fm and Libre.fm entries change their API account only: no service, no address."""
    data = entry_data(lastfm_server, "0" * 32) | {
        CONF_SERVICE: service.id,
        CONF_API_ROOT: service.api_root,
        CONF_AUTH_URL: service.auth_url,
    }
    entry = MockConfigEntry(domain=DOMAIN, data=data, minor_version=2)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert {str(key) for key in result["data_schema"].schema} == {CONF_API_KEY, CONF_API_SECRET}
    assert suggested_values(result) == {CONF_API_KEY: API_KEY}
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_SERVICE: CUSTOM_ID, CONF_API_KEY: API_KEY}
        )


@pytest.mark.parametrize("service", [LASTFM, LIBREFM])
async def test_custom_server_cannot_move_to_a_known_service(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    service: LastfmService,
) -> None:
    result = await lastfm_entry.start_reconfigure_flow(hass)
    # However it is spelt.
    root = service.api_root.upper().replace("/2.0/", ":443/2.0")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reconfigure_input(lastfm_server, api_root=root)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_reconfigure"
    assert result["errors"] == {CONF_API_ROOT: "lastfm_other_service"}
    assert suggested_values(result)[CONF_API_ROOT] == root
    assert lastfm_server.requests_of("auth.getToken") == []


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
        result["flow_id"], reconfigure_input(other_server)
    )
    # Known before any approval: the user is the entry's. The message names the account.
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "lastfm_already_configured"
    assert result["description_placeholders"] == {
        CONF_USERNAME: USERNAME,
        "service": f"127.0.0.1:{urlsplit(other_server.api_root).port}",
    }
    assert other_server.requests_of("auth.getToken") == []
    assert lastfm_entry.data == data


async def test_reconfigure_onto_an_account_added_while_approving(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    other_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
) -> None:
    data = dict(lastfm_entry.data)
    result = await lastfm_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], reconfigure_input(other_server)
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    MockConfigEntry(
        domain=DOMAIN, unique_id=unique_id_of(other_server.api_root, USERNAME), data={}
    ).add_to_hass(hass)
    result = await approve_and_finish(hass, other_server, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "lastfm_already_configured"
    assert lastfm_entry.data == data


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("https://ws.audioscrobbler.com/2.0/", "https://ws.audioscrobbler.com/2.0/"),
        ("HTTPS://WS.Audioscrobbler.com:443/2.0", "https://ws.audioscrobbler.com/2.0/"),
        (" http://Example.org:80/2.0/#top ", "http://example.org/2.0/"),
        ("http://example.org:8080/api", "http://example.org:8080/api/"),
        ("https://user:secret@example.org/2.0/", "https://example.org/2.0/"),
        ("http://[::1]:80/2.0/", "http://[::1]/2.0/"),
        ("http://example.org:port/", "http://example.org:port/"),  # not a URL: as typed
    ],
)
def test_api_roots_are_normalised(typed: str, normalised: str) -> None:
    assert normalize_api_root(typed) == normalised
    assert unique_id_of(typed, "Alice") == f"{normalised}#alice"


async def test_the_same_account_spelt_otherwise_is_not_added_twice(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    mock_setup_entry: object,
) -> None:
    flow_id = await start_flow(hass)
    root = lastfm_server.api_root.replace("http://", "HTTP://")
    result = await submit_api_account(hass, flow_id, lastfm_server, api_root=root)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    result = await approve_and_finish(hass, lastfm_server, flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "lastfm_already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [lastfm_entry]
