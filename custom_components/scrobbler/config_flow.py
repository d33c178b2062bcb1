"""Config flow of the Scrobbler integration.

The first step is a menu: a config entry is either a Last.fm account or a Music Assistant server.
The steps of each branch live in ``lastfm_flow.py`` and ``music_assistant_flow.py``.
"""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback

from .const import CONF_KIND, DOMAIN, ENTRY_MINOR_VERSION, ENTRY_VERSION, EntryKind
from .lastfm_flow import LastfmFlow
from .lastfm_options import LastfmOptionsFlow
from .music_assistant_flow import MusicAssistantFlow
from .playback import SUBENTRY_SOURCE
from .source_flow import SourceSubentryFlow


class ScrobblerConfigFlow(LastfmFlow, MusicAssistantFlow, domain=DOMAIN):
    """Set up a Last.fm account or a Music Assistant server."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """A Last.fm account has scrobble sources; a Music Assistant server has none."""
        if _kind(config_entry) is EntryKind.LASTFM:
            return {SUBENTRY_SOURCE: SourceSubentryFlow}
        return {}

    @classmethod
    @callback
    @override
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only Last.fm accounts have options (when a play counts)."""
        return _kind(config_entry) is EntryKind.LASTFM

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:  # noqa: ARG004
        """Return the options flow of a Last.fm account."""
        return LastfmOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask what to add."""
        return self.async_show_menu(step_id="user", menu_options=[kind.value for kind in EntryKind])

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Reauthenticate an entry, in the branch of its kind."""
        if _kind(self._get_reauth_entry()) is EntryKind.LASTFM:
            return await self.async_step_lastfm_reauth(entry_data)
        return await self.async_step_music_assistant_reauth(entry_data)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure an entry, in the branch of its kind."""
        if _kind(self._get_reconfigure_entry()) is EntryKind.LASTFM:
            return await self.async_step_lastfm_reconfigure()
        return await self.async_step_music_assistant_reconfigure()


def _kind(entry: ConfigEntry) -> EntryKind:
    return EntryKind(entry.data[CONF_KIND])
