"""Reauthentication after the service rejected the API key itself (unknown or suspended).

The stored key can only fail again: the reauthentication form takes a new key and secret.
"""

from urllib.parse import parse_qs, urlsplit

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import CONF_API_SECRET, CONF_SESSION_KEY, DOMAIN
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm

from .conftest import current_step, suggested_values

NEW_KEY = "c" * 32
NEW_SECRET = "d" * 32


async def reauth_of_a_suspended_key(
    hass: HomeAssistant, server: FakeLastfm, entry: MockConfigEntry
) -> str:
    """Set the entry up, let the service suspend its API key, return the reauth flow's id."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    server.suspend_app(API_KEY)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    flow_id: str = flow["flow_id"]
    return flow_id


async def test_reauth_takes_a_new_api_key(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    flow_id = await reauth_of_a_suspended_key(hass, lastfm_server, lastfm_entry)
    form = current_step(hass, flow_id)
    assert form["step_id"] == "lastfm_reauth_confirm"
    assert form["description_placeholders"][CONF_USERNAME] == USERNAME
    # The stored key is suggested; the secret is a password field, left empty.
    assert suggested_values(form) == {CONF_API_KEY: API_KEY}
    [secret] = [key for key in form["data_schema"].schema if key.schema == CONF_API_SECRET]
    assert form["data_schema"].schema[secret].config["type"] == "password"

    # As it is, the stored key fails again: the error sits on the key's field.
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}

    # A new API account of the same user: approved as usual.
    lastfm_server.register_app(NEW_KEY, NEW_SECRET)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_KEY: NEW_KEY, CONF_API_SECRET: NEW_SECRET}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert parse_qs(urlsplit(result["url"]).query)["api_key"] == [NEW_KEY]
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert lastfm_entry.data[CONF_API_KEY] == NEW_KEY
    assert lastfm_entry.data[CONF_API_SECRET] == NEW_SECRET
    assert lastfm_entry.data[CONF_SESSION_KEY] == lastfm_server.issue_session(USERNAME, NEW_KEY)
    assert lastfm_entry.state is ConfigEntryState.LOADED


async def test_new_key_without_its_secret(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    """A new key with the secret left empty signs with the old secret: the secret's error."""
    flow_id = await reauth_of_a_suspended_key(hass, lastfm_server, lastfm_entry)
    lastfm_server.register_app(NEW_KEY, NEW_SECRET)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_API_KEY: NEW_KEY})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_SECRET: "invalid_secret"}
    assert suggested_values(result) == {CONF_API_KEY: NEW_KEY}
    assert lastfm_entry.data[CONF_API_SECRET] == API_SECRET
