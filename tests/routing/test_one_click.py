"""Sources set up in either order: a new account takes the servers' players; a new server the accounts."""

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.scrobbler.music_assistant_flow import CONF_ACCOUNTS
from custom_components.scrobbler.playback import (
    CONF_MA_USER,
    CONF_PLAYERS,
    CONF_SERVER_ENTRY_ID,
    SUBENTRY_SOURCE,
)
from tests.fakes.lastfm_server import USERNAME, FakeLastfm
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import MA_TOKEN, FakeMusicAssistantServer
from tests.lastfm_integration.conftest import (
    account_entry,
    fast_approval,
    start_flow,
    submit_api_account,
)

__all__ = ["fast_approval"]

pytestmark = pytest.mark.usefixtures("fast_approval", "mock_setup_entry")


def suggested(form: Any, field: str) -> Any:
    """Return the value a form shows filled in for a field."""
    for key in form["data_schema"].schema:
        if key.schema == field:
            return (key.description or {}).get("suggested_value")
    raise KeyError(field)


def options_of(form: Any, field: str) -> dict[str, str]:
    """Return the options of a select field of a form (value -> label)."""
    for key, selector in form["data_schema"].schema.items():
        if key.schema == field:
            return {option["value"]: option["label"] for option in selector.config["options"]}
    raise KeyError(field)


async def approved_account_flow(hass: HomeAssistant, lastfm_server: FakeLastfm) -> Any:
    """Go through the Last.fm branch until the account is approved; return the next result."""
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


def servers_with_players(hass: HomeAssistant) -> tuple[MockConfigEntry, MockConfigEntry]:
    """Two Music Assistant entries (not loaded): two players and none known."""
    kitchen_server = MockConfigEntry(
        domain=DOMAIN,
        title="Music Assistant (home)",
        unique_id="home",
        data={CONF_KIND: EntryKind.MUSIC_ASSISTANT.value},
    )
    empty = MockConfigEntry(
        domain=DOMAIN,
        title="Music Assistant (cabin)",
        unique_id="cabin",
        data={CONF_KIND: EntryKind.MUSIC_ASSISTANT.value},
    )
    for entry in (kitchen_server, empty):
        entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    for player_id, name in (("kitchen", "Kitchen"), ("office", "Office")):
        devices.async_get_or_create(
            config_entry_id=kitchen_server.entry_id,
            identifiers={(DOMAIN, f"home_{player_id}")},
            name=name,
        )
    return kitchen_server, empty


async def test_a_new_account_takes_every_player_offered(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    home, cabin = servers_with_players(hass)
    result = await approved_account_flow(hass, lastfm_server)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_sources"
    assert options_of(result, CONF_PLAYERS) == {
        f"{home.entry_id}/kitchen": "Kitchen on Music Assistant (home)",
        f"{home.entry_id}/office": "Office on Music Assistant (home)",
        f"{cabin.entry_id}/": "All players of Music Assistant (cabin)",
    }
    # all preselected
    assert suggested(result, CONF_PLAYERS) == list(options_of(result, CONF_PLAYERS))

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PLAYERS: suggested(result, CONF_PLAYERS)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    sources = {
        subentry.title: dict(subentry.data)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_SOURCE
    }
    # every player of a server: the server's players, also those added later
    assert sources == {
        "All players of Music Assistant (home)": {
            CONF_SERVER_ENTRY_ID: home.entry_id,
            CONF_PLAYERS: [],
            CONF_MA_USER: None,
        },
        "All players of Music Assistant (cabin)": {
            CONF_SERVER_ENTRY_ID: cabin.entry_id,
            CONF_PLAYERS: [],
            CONF_MA_USER: None,
        },
    }


async def test_a_new_account_takes_some_players(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    home, _ = servers_with_players(hass)
    result = await approved_account_flow(hass, lastfm_server)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PLAYERS: [f"{home.entry_id}/office"]}
    )
    (subentry,) = result["result"].subentries.values()
    assert subentry.title == "Office on Music Assistant (home)"
    assert subentry.data[CONF_PLAYERS] == ["office"]


async def test_a_new_account_skips_the_players(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    servers_with_players(hass)
    result = await approved_account_flow(hass, lastfm_server)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_PLAYERS: []})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert not result["result"].subentries


async def test_a_new_account_without_servers_is_created_at_once(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    result = await approved_account_flow(hass, lastfm_server)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert not result["result"].subentries


async def add_server(hass: HomeAssistant, server: FakeMusicAssistantServer) -> Any:
    """Go through the Music Assistant branch with a token until the entry is made."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "music_assistant"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"url": server.url, "verify_ssl": True}
    )
    assert result["step_id"] == "music_assistant_auth"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"token": MA_TOKEN})


async def test_a_new_server_is_scrobbled_to_the_accounts_chosen(
    hass: HomeAssistant, lastfm_server: FakeLastfm, ma_server: FakeMusicAssistantServer
) -> None:
    lastfm_server.add_user("bob")
    alice = account_entry(lastfm_server)
    bob = account_entry(lastfm_server, "bob")
    for entry in (alice, bob):
        entry.add_to_hass(hass)

    result = await add_server(hass, ma_server)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "music_assistant_accounts"
    assert options_of(result, CONF_ACCOUNTS) == {
        alice.entry_id: alice.title,
        bob.entry_id: bob.title,
    }
    # several accounts: none is chosen for the user
    assert suggested(result, CONF_ACCOUNTS) == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNTS: [bob.entry_id]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    server = result["result"]
    assert not alice.subentries
    (subentry,) = bob.subentries.values()
    assert subentry.subentry_type == SUBENTRY_SOURCE
    assert subentry.title == f"All players of {server.title}"
    assert dict(subentry.data) == {
        CONF_SERVER_ENTRY_ID: server.entry_id,
        CONF_PLAYERS: [],
        CONF_MA_USER: None,
    }


async def test_a_new_server_and_the_one_account(
    hass: HomeAssistant, lastfm_server: FakeLastfm, ma_server_factory: MaServerFactory
) -> None:
    alice = account_entry(lastfm_server)
    alice.add_to_hass(hass)
    first = await ma_server_factory()
    first.create_token("admin", "Scrobbler tests", token=MA_TOKEN)
    result = await add_server(hass, first)
    # one account: it is chosen
    assert suggested(result, CONF_ACCOUNTS) == [alice.entry_id]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_ACCOUNTS: []})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert not alice.subentries


async def test_a_new_server_without_accounts_is_created_at_once(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    result = await add_server(hass, ma_server)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["url"] == ma_server.url
