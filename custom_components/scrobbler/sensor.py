"""Sensors of Last.fm accounts and Music Assistant servers."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .kinds import kind_of

# Entities are updated by coordinators and pushed events, not polled one by one.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the sensors of a config entry."""
    await kind_of(entry).async_setup_sensors(hass, entry, async_add_entities)
