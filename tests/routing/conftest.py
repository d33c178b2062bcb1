"""Fixtures of the routing tests: Last.fm accounts and Music Assistant servers, both fakes."""

from homeassistant.config_entries import SOURCE_USER, ConfigSubentry, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.playback import SUBENTRY_SOURCE
from custom_components.scrobbler.sources import source_data, source_subentry
from tests.fakes.lastfm_server import FakeLastfm
from tests.fakes.music_assistant_server import FakeMusicAssistantServer
from tests.lastfm_integration.conftest import account_entry
from tests.music_assistant.conftest import fast_backoff, ma_entry, settle, setup_ma_entry

__all__ = ["fast_backoff"]


def source(
    hass: HomeAssistant,
    server_entry_id: str,
    players: list[str] | None = None,
    user: str | None = None,
) -> ConfigSubentryData:
    """Return the subentry data of a source."""
    return source_subentry(hass, source_data(server_entry_id, players or [], user))


@pytest.fixture
def lastfm_account(hass: HomeAssistant, lastfm_server: FakeLastfm) -> MockConfigEntry:
    """An account of the fake Last.fm, added to hass (not set up)."""
    entry = account_entry(lastfm_server)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def ma_with_kitchen(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> MockConfigEntry:
    """The loaded entry of the fake server, with its recorded player and `kitchen`."""
    server = await setup_ma_entry(hass, ma_entry(ma_server))
    await ma_server.add_player("kitchen", "Kitchen")
    await settle(hass, server)
    return server


async def start_source_flow(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    """Start adding a source to an account."""
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_SOURCE), context={"source": SOURCE_USER}
    )


def only_source(entry: MockConfigEntry) -> ConfigSubentry:
    """Return the one source of an account."""
    (subentry,) = entry.subentries.values()
    return subentry
