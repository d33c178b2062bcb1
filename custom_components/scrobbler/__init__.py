"""Scrobbler: Music Assistant plays, scrobbled to Last.fm.

A config entry is a Last.fm account or a Music Assistant server; each kind has its own module
that sets it up (see ``kinds.py``).
"""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_KIND, DOMAIN, ENTRY_MINOR_VERSION, ENTRY_VERSION, EntryKind
from .kinds import MIGRATIONS, ScrobblerConfigEntry, kind_of
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions of the integration (they name the account they act on)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Set up a Last.fm account or a Music Assistant server."""
    return await kind_of(entry).async_setup_entry(hass, entry)


async def async_migrate_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Bring an entry that an older version wrote up to date; refuse one of a newer version."""
    if entry.version > ENTRY_VERSION:
        return False
    if (migrate := MIGRATIONS.get(EntryKind(entry.data[CONF_KIND]))) is not None:
        await migrate(hass, entry)
    hass.config_entries.async_update_entry(
        entry, version=ENTRY_VERSION, minor_version=ENTRY_MINOR_VERSION
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Unload a config entry."""
    return await kind_of(entry).async_unload_entry(hass, entry)


async def async_remove_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> None:
    """Clean up after a removed config entry (for example, revoke its token)."""
    await kind_of(entry).async_remove_entry(hass, entry)
