"""Config-flow steps of the Music Assistant branch (being built)."""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class MusicAssistantFlow(ConfigFlow):
    """Steps that add, reauthenticate and reconfigure a Music Assistant entry."""

    async def async_step_music_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a Music Assistant entry (not available yet)."""
        return self.async_abort(reason="not_available")

    async def async_step_music_assistant_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Reauthenticate a Music Assistant entry (not available yet)."""
        return self.async_abort(reason="not_available")

    async def async_step_music_assistant_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure a Music Assistant entry (not available yet)."""
        return self.async_abort(reason="not_available")
