"""Config flow of the Scrobbler integration.

The first step is a menu: a config entry is either a Last.fm account or a Music Assistant server.
"""

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import DOMAIN, EntryKind


class ScrobblerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Last.fm account or a Music Assistant server."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask what to add."""
        return self.async_show_menu(step_id="user", menu_options=[kind.value for kind in EntryKind])

    async def async_step_lastfm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a Last.fm account (not available yet)."""
        return self.async_abort(reason="not_available")

    async def async_step_music_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a Music Assistant server (not available yet)."""
        return self.async_abort(reason="not_available")
