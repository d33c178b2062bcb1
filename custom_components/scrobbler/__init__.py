"""Scrobbler: Music Assistant plays, scrobbled to Last.fm.

A config entry is a Last.fm account or a Music Assistant server; each kind has its own module
that sets it up (see ``kinds.py``).
"""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import CONF_KIND, DOMAIN, ENTRY_MINOR_VERSION, ENTRY_VERSION, EntryKind
from .kinds import DEVICE_REMOVALS, MIGRATIONS, ScrobblerConfigEntry, kind_of
from .services import async_setup_services
from .sources import async_account_removed, async_setup_sources

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions of the integration (they name the account they act on)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Set up a Last.fm account or a Music Assistant server."""
    if not await kind_of(entry).async_setup_entry(hass, entry):
        return False
    if EntryKind(entry.data[CONF_KIND]) is EntryKind.LASTFM:
        async_setup_sources(hass, entry)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Bring an entry that an older version wrote up to date; refuse one of a newer version.

    Home Assistant calls this whenever the entry's version differs from the flow's, also for a
    newer minor version (which a downgrade leaves): that entry loads as it is, its version
    untouched, so that an upgrade later does not migrate its data a second time. A newer major
    version is refused (Home Assistant refuses it before calling; this says so again).
    """
    if entry.version > ENTRY_VERSION:
        return False
    if (entry.version, entry.minor_version) >= (ENTRY_VERSION, ENTRY_MINOR_VERSION):
        return True
    if (module := MIGRATIONS.get(EntryKind(entry.data[CONF_KIND]))) is not None:
        await module.async_migrate_entry(hass, entry)
    hass.config_entries.async_update_entry(
        entry, version=ENTRY_VERSION, minor_version=ENTRY_MINOR_VERSION
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> bool:
    """Unload a config entry."""
    return await kind_of(entry).async_unload_entry(hass, entry)


async def async_remove_entry(hass: HomeAssistant, entry: ScrobblerConfigEntry) -> None:
    """Clean up after a removed config entry (for example, revoke its token)."""
    if EntryKind(entry.data[CONF_KIND]) is EntryKind.LASTFM:
        async_account_removed(hass, entry)
    await kind_of(entry).async_remove_entry(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ScrobblerConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Tell whether the user may delete a device (one its entry cannot tell is gone)."""
    module = DEVICE_REMOVALS.get(EntryKind(entry.data[CONF_KIND]))
    return module is not None and await module.async_remove_config_entry_device(
        hass, entry, device_entry
    )
