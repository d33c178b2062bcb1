"""Sensors of Last.fm accounts and Music Assistant servers."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .kinds import ScrobblerConfigEntry, kind_of

# Entities are updated by coordinators and pushed events, not polled one by one.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ScrobblerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a config entry."""
    await kind_of(entry).async_setup_sensors(hass, entry, async_add_entities)
