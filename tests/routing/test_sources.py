"""An account reloads when its sources change; a source whose server is removed is repaired."""

from unittest.mock import patch

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler import lastfm_account as lastfm_account_module
from custom_components.scrobbler.const import DOMAIN
from custom_components.scrobbler.playback import CONF_MA_USER, CONF_PLAYERS
from tests.fakes.lastfm_server import FakeLastfm
from tests.fakes.music_assistant_server import FakeMusicAssistantServer
from tests.lastfm_integration.conftest import account_entry
from tests.music_assistant.conftest import ma_entry, setup_ma_entry

from .conftest import only_source, source, start_source_flow


def issue_of(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> ir.IssueEntry | None:
    """Return the repair issue of a source whose server is gone."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"source_server_removed_{entry.entry_id}_{subentry_id}"
    )


async def test_a_change_of_sources_reloads_the_account(
    hass: HomeAssistant,
    lastfm_account: MockConfigEntry,
    ma_server: FakeMusicAssistantServer,
) -> None:
    setup = lastfm_account_module.async_setup_entry
    with patch.object(lastfm_account_module, "async_setup_entry", wraps=setup) as setups:
        # setting the integration up sets the account up too
        await setup_ma_entry(hass, ma_entry(ma_server))
        assert lastfm_account.state is ConfigEntryState.LOADED
        assert setups.call_count == 1
        # no update listener: reauthentication and reconfiguration reload the entry themselves
        assert not lastfm_account.update_listeners

        result = await start_source_flow(hass, lastfm_account)
        result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert setups.call_count == 2
        assert lastfm_account.state is ConfigEntryState.LOADED

        # a change that is not of its sources: no reload
        hass.config_entries.async_update_entry(lastfm_account, title="Renamed")
        await hass.async_block_till_done()
        assert setups.call_count == 2

        subentry = only_source(lastfm_account)
        result = await lastfm_account.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_PLAYERS: [], CONF_MA_USER: "u1"}
        )
        await hass.async_block_till_done()
        assert setups.call_count == 3

        hass.config_entries.async_remove_subentry(lastfm_account, subentry.subentry_id)
        await hass.async_block_till_done()
        assert setups.call_count == 4
        assert lastfm_account.state is ConfigEntryState.LOADED


async def test_a_removed_server_is_repaired_by_removing_its_source(
    hass: HomeAssistant, lastfm_server: FakeLastfm, ma_server: FakeMusicAssistantServer
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    server = await setup_ma_entry(hass, ma_entry(ma_server))
    entry = account_entry(lastfm_server, subentries=[source(hass, server.entry_id, ["kitchen"])])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    subentry = only_source(entry)
    assert issue_of(hass, entry, subentry.subentry_id) is None

    await hass.config_entries.async_remove(server.entry_id)
    await hass.async_block_till_done()
    issue = issue_of(hass, entry, subentry.subentry_id)
    assert issue is not None
    assert issue.translation_key == "source_server_removed"
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "account": entry.title,
        "source": "kitchen on Music Assistant 127.0.0.1",
    }
    # not dropped silently: the source stays until the user removes it
    assert entry.subentries

    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == issue.translation_placeholders
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert not entry.subentries
    assert issue_of(hass, entry, subentry.subentry_id) is None
    assert entry.state is ConfigEntryState.LOADED


async def set_up_with_a_source_of_no_server(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> tuple[MockConfigEntry, str]:
    """Set an account up whose source names a server entry that does not exist."""
    entry = account_entry(lastfm_server, subentries=[source(hass, "gone")])
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    subentry = only_source(entry)
    assert issue_of(hass, entry, subentry.subentry_id) is not None
    return entry, subentry.subentry_id


async def test_an_account_set_up_with_a_source_of_no_server(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    entry, subentry_id = await set_up_with_a_source_of_no_server(hass, lastfm_server)

    # removing the source some other way drops its issue too
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    assert issue_of(hass, entry, subentry_id) is None


async def test_a_removed_account_leaves_no_issue(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    entry, subentry_id = await set_up_with_a_source_of_no_server(hass, lastfm_server)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_of(hass, entry, subentry_id) is None
