"""Adding and changing the scrobble sources of a Last.fm account (config subentries)."""

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.config_flow import ScrobblerConfigFlow
from custom_components.scrobbler.const import DOMAIN
from custom_components.scrobbler.playback import (
    CONF_MA_USER,
    CONF_PLAYERS,
    CONF_SERVER_ENTRY_ID,
    SUBENTRY_SOURCE,
)
from custom_components.scrobbler.source_flow import SourceSubentryFlow
from tests.fakes.music_assistant_media import RECORDED_PLAYER_ID, RECORDED_PLAYER_NAME
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import FakeMusicAssistantServer
from tests.music_assistant.conftest import ma_entry

from .conftest import only_source, start_source_flow


def options_of(form: Any, field: str) -> list[tuple[str, str]]:
    """Return the options (value, label) of a select field of a form."""
    for key, selector in form["data_schema"].schema.items():
        if key.schema == field:
            return [(option["value"], option["label"]) for option in selector.config["options"]]
    raise KeyError(field)


async def test_only_accounts_have_sources(
    hass: HomeAssistant, lastfm_account: MockConfigEntry, ma_server: FakeMusicAssistantServer
) -> None:
    server = ma_entry(ma_server)
    server.add_to_hass(hass)
    assert ScrobblerConfigFlow.async_get_supported_subentry_types(lastfm_account) == {
        SUBENTRY_SOURCE: SourceSubentryFlow
    }
    assert ScrobblerConfigFlow.async_get_supported_subentry_types(server) == {}


async def test_no_server_to_choose(hass: HomeAssistant, lastfm_account: MockConfigEntry) -> None:
    result = await start_source_flow(hass, lastfm_account)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_music_assistant"


async def test_chosen_players_of_a_loaded_server_and_a_user(
    hass: HomeAssistant, lastfm_account: MockConfigEntry, ma_with_kitchen: MockConfigEntry
) -> None:
    server = ma_with_kitchen

    # one server: no need to choose it
    result = await start_source_flow(hass, lastfm_account)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "players"
    assert result["description_placeholders"] == {"server": server.title}
    assert options_of(result, CONF_PLAYERS) == [
        (RECORDED_PLAYER_ID, RECORDED_PLAYER_NAME),
        ("kitchen", "Kitchen"),
    ]

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PLAYERS: ["kitchen", RECORDED_PLAYER_ID], CONF_MA_USER: " u1 "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = only_source(lastfm_account)
    assert subentry.subentry_type == SUBENTRY_SOURCE
    assert dict(subentry.data) == {
        CONF_SERVER_ENTRY_ID: server.entry_id,
        CONF_PLAYERS: sorted(["kitchen", RECORDED_PLAYER_ID]),
        CONF_MA_USER: "u1",
    }
    assert subentry.title == (
        f"{RECORDED_PLAYER_NAME}, Kitchen on Music Assistant 127.0.0.1, plays of user u1"
    )

    # the same players and user again: refused, in either order
    result = await start_source_flow(hass, lastfm_account)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PLAYERS: [RECORDED_PLAYER_ID, "kitchen"], CONF_MA_USER: "u1"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # another user of the same players is another source
    result = await start_source_flow(hass, lastfm_account)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PLAYERS: [RECORDED_PLAYER_ID, "kitchen"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(lastfm_account.subentries) == 2


async def test_all_players_of_a_server_not_loaded(
    hass: HomeAssistant,
    lastfm_account: MockConfigEntry,
    ma_server_factory: MaServerFactory,
) -> None:
    first = ma_entry(await ma_server_factory(), unique_id="first")
    first.add_to_hass(hass)
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Music Assistant (attic)",
        unique_id="second",
        data={**first.data},
    )
    second.add_to_hass(hass)
    devices = dr.async_get(hass)
    devices.async_get_or_create(
        config_entry_id=second.entry_id, identifiers={(DOMAIN, "second")}, name="Attic server"
    )
    devices.async_get_or_create(
        config_entry_id=second.entry_id, identifiers={(DOMAIN, "second_attic")}, name="Attic"
    )

    result = await start_source_flow(hass, lastfm_account)
    assert result["step_id"] == "user"
    assert options_of(result, CONF_SERVER_ENTRY_ID) == [
        (first.entry_id, first.title),
        (second.entry_id, "Music Assistant (attic)"),
    ]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_SERVER_ENTRY_ID: second.entry_id}
    )
    assert result["step_id"] == "players"
    assert second.state is ConfigEntryState.NOT_LOADED
    # the players of a server that is not loaded: its devices (not the server's own)
    assert options_of(result, CONF_PLAYERS) == [("attic", "Attic")]

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = only_source(lastfm_account)
    assert dict(subentry.data) == {
        CONF_SERVER_ENTRY_ID: second.entry_id,
        CONF_PLAYERS: [],
        CONF_MA_USER: None,
    }
    assert subentry.title == "All players of Music Assistant (attic)"


async def test_reconfigure_a_source(
    hass: HomeAssistant, lastfm_account: MockConfigEntry, ma_with_kitchen: MockConfigEntry
) -> None:
    result = await start_source_flow(hass, lastfm_account)
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PLAYERS: ["kitchen"]}
    )
    subentry = only_source(lastfm_account)
    assert subentry.title == "Kitchen on Music Assistant 127.0.0.1"

    result = await lastfm_account.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert result["step_id"] == "players"
    form_defaults = {
        key.schema: (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert form_defaults[CONF_PLAYERS] == ["kitchen"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_PLAYERS: [], CONF_MA_USER: "u2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = only_source(lastfm_account)
    assert subentry.title == "All players of Music Assistant 127.0.0.1, plays of user u2"
    assert dict(subentry.data)[CONF_PLAYERS] == []
    assert dict(subentry.data)[CONF_MA_USER] == "u2"
    # keeping its own players and user is no conflict with itself
    result = await lastfm_account.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MA_USER: "u2"}
    )
    assert result["reason"] == "reconfigure_successful"


async def test_the_server_deleted_while_choosing_players(
    hass: HomeAssistant, lastfm_account: MockConfigEntry, ma_server: FakeMusicAssistantServer
) -> None:
    server = ma_entry(ma_server)
    server.add_to_hass(hass)
    result = await start_source_flow(hass, lastfm_account)
    assert result["step_id"] == "players"
    await hass.config_entries.async_remove(server.entry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_music_assistant"
    assert not lastfm_account.subentries
