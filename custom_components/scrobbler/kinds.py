"""The kinds of config entries, and the module that runs each of them."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import lastfm_account, music_assistant_server
from .const import CONF_KIND, EntryKind


class EntryKindModule(Protocol):
    """What the module of a kind of entry provides."""

    async def async_setup_entry(self, hass: HomeAssistant, entry: ConfigEntry) -> bool:
        """Set up an entry."""

    async def async_unload_entry(self, hass: HomeAssistant, entry: ConfigEntry) -> bool:
        """Unload an entry."""

    async def async_remove_entry(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Clean up after a removed entry."""

    async def async_setup_sensors(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Add the sensors of an entry."""

    async def async_get_diagnostics(
        self, hass: HomeAssistant, entry: ConfigEntry
    ) -> dict[str, Any]:
        """Return diagnostics of an entry, secrets redacted."""


KIND_MODULES: dict[EntryKind, EntryKindModule] = {
    EntryKind.LASTFM: lastfm_account,
    EntryKind.MUSIC_ASSISTANT: music_assistant_server,
}


# Kinds whose entries need more than a new version number when an older version wrote them.
MIGRATIONS: dict[EntryKind, Callable[[HomeAssistant, ConfigEntry], Awaitable[None]]] = {
    EntryKind.LASTFM: lastfm_account.async_migrate_entry,
}


def kind_of(entry: ConfigEntry) -> EntryKindModule:
    """Return the module that runs an entry of this kind."""
    return KIND_MODULES[EntryKind(entry.data[CONF_KIND])]
