"""Switches of Last.fm accounts (Music Assistant servers have none)."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import lastfm_account
from .lastfm_coordinator import LastfmConfigEntry

# The switch acts on the account's scrobbler in memory and its stored file: nothing to poll.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LastfmConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of a Last.fm entry (only those forward this platform)."""
    await lastfm_account.async_setup_switches(hass, entry, async_add_entities)
