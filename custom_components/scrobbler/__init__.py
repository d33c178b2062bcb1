"""Scrobbler: Music Assistant plays, scrobbled to Last.fm.

A config entry is a Last.fm account or a Music Assistant server; each kind has its own module
that sets it up (see ``kinds.py``).
"""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .kinds import ScrobblerConfigEntry, kind_of

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Set up a Last.fm account or a Music Assistant server."""
    return await kind_of(entry).async_setup_entry(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Unload a config entry."""
    return await kind_of(entry).async_unload_entry(hass, entry)


async def async_remove_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> None:
    """Clean up after a removed config entry (for example, revoke its token)."""
    await kind_of(entry).async_remove_entry(hass, entry)
