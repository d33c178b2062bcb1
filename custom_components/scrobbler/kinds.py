"""The kinds of config entries, and the module that runs each of them."""

from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import lastfm_account, music_assistant_server
from .const import CONF_KIND, EntryKind
from .lastfm_coordinator import LastfmConfigEntry
from .music_assistant_connection import MusicAssistantConfigEntry

# A config entry of this integration: its runtime data depends on its kind.
type ScrobblerConfigEntry = LastfmConfigEntry | MusicAssistantConfigEntry


class EntryKindModule[EntryT: ConfigEntry](Protocol):
    """What the module of a kind of entry provides, for entries of type EntryT."""

    async def async_setup_entry(self, hass: HomeAssistant, entry: EntryT) -> bool:
        """Set up an entry."""

    async def async_unload_entry(self, hass: HomeAssistant, entry: EntryT) -> bool:
        """Unload an entry."""

    async def async_remove_entry(self, hass: HomeAssistant, entry: EntryT) -> None:
        """Clean up after a removed entry."""

    async def async_setup_sensors(
        self,
        hass: HomeAssistant,
        entry: EntryT,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add the sensors of an entry."""

    async def async_get_diagnostics(self, hass: HomeAssistant, entry: EntryT) -> dict[str, Any]:
        """Return diagnostics of an entry, secrets redacted."""


class MigratingEntryKindModule[EntryT: ConfigEntry](EntryKindModule[EntryT], Protocol):
    """The module of a kind whose entries need more than a new version number to migrate."""

    async def async_migrate_entry(self, hass: HomeAssistant, entry: EntryT) -> None:
        """Bring an entry an older version wrote up to date (its version is set after)."""


class DeviceRemovingEntryKindModule[EntryT: ConfigEntry](EntryKindModule[EntryT], Protocol):
    """The module of a kind whose devices a user may delete (those it cannot tell are gone)."""

    async def async_remove_config_entry_device(
        self, hass: HomeAssistant, entry: EntryT, device: dr.DeviceEntry
    ) -> bool:
        """Tell whether the user may delete this device of an entry."""


# Each module, checked against the protocols with the type of its entries.
_LASTFM: MigratingEntryKindModule[LastfmConfigEntry] = lastfm_account
_MUSIC_ASSISTANT: DeviceRemovingEntryKindModule[MusicAssistantConfigEntry] = music_assistant_server

# Which module runs which kind. The kind is in the entry's data, where types cannot follow it.
KIND_MODULES: dict[EntryKind, EntryKindModule[Any]] = {
    EntryKind.LASTFM: _LASTFM,
    EntryKind.MUSIC_ASSISTANT: _MUSIC_ASSISTANT,
}


# Kinds whose entries need more than a new version number when an older version wrote them.
MIGRATIONS: dict[EntryKind, MigratingEntryKindModule[Any]] = {
    EntryKind.LASTFM: _LASTFM,
}

# Kinds whose devices a user may delete; the devices of other kinds cannot be deleted.
DEVICE_REMOVALS: dict[EntryKind, DeviceRemovingEntryKindModule[Any]] = {
    EntryKind.MUSIC_ASSISTANT: _MUSIC_ASSISTANT,
}


def kind_of(entry: ScrobblerConfigEntry) -> EntryKindModule[Any]:
    """Return the module that runs an entry of this kind."""
    return KIND_MODULES[EntryKind(entry.data[CONF_KIND])]
