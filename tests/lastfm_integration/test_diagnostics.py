"""Diagnostics of a Last.fm entry, and secrets kept out of them and out of the logs."""

import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.scrobbler.const import CONF_SESSION_KEY, DOMAIN
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm

from .conftest import start_flow, submit_api_account


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    assert await hass.config_entries.async_setup(lastfm_entry.entry_id)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, lastfm_entry)

    # The fake listens on a port of its own each run.
    assert diagnostics == snapshot(exclude=props("unique_id", "api_root", "auth_url", "title"))
    text = str(diagnostics)
    for secret in (API_KEY, API_SECRET, lastfm_entry.data[CONF_SESSION_KEY]):
        assert secret not in text


async def test_diagnostics_of_a_session_rejected_at_setup(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
) -> None:
    """The entry loads without a poll having succeeded: diagnostics say so."""
    lastfm_server.revoke_session(lastfm_entry.data[CONF_SESSION_KEY])
    assert await hass.config_entries.async_setup(lastfm_entry.entry_id)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, lastfm_entry)
    assert diagnostics["connection"] == "auth_failed"
    assert diagnostics["last_update_success"] is False
    assert diagnostics["account"] is None


async def test_no_secret_in_the_logs(
    hass: HomeAssistant, lastfm_server: FakeLastfm, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole life: flow, setup, polls, failures, reauthentication; every log line checked."""
    caplog.set_level(logging.DEBUG)
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server, api_secret="0" * 32)
    await submit_api_account(hass, flow_id, lastfm_server)
    await hass.async_block_till_done()  # unanswered polls
    await hass.config_entries.flow.async_configure(flow_id)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "lastfm_check"})
    lastfm_server.fail_next(16, method="auth.getSession")
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = result["result"]
    first_session = entry.data[CONF_SESSION_KEY]

    coordinator = entry.runtime_data.coordinator
    lastfm_server.fail_next(29)
    await coordinator.async_refresh()
    lastfm_server.revoke_session(first_session)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.flow.async_configure(reauth["flow_id"], {})
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    await hass.config_entries.flow.async_configure(reauth["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_SESSION_KEY] != first_session

    secrets = {API_SECRET, "0" * 32, first_session, entry.data[CONF_SESSION_KEY]}
    secrets.update(lastfm_server.tokens)
    assert len(lastfm_server.tokens) == 2
    logged = caplog.text
    assert "user.getInfo" in logged  # the logs were captured, at DEBUG
    for secret in secrets:
        assert secret not in logged
