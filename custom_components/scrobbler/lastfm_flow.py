"""Config-flow steps of the Last.fm branch (being built)."""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class LastfmFlow(ConfigFlow):
    """Steps that add, reauthenticate and reconfigure a Last.fm entry."""

    async def async_step_lastfm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a Last.fm entry (not available yet)."""
        return self.async_abort(reason="not_available")

    async def async_step_lastfm_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Reauthenticate a Last.fm entry (not available yet)."""
        return self.async_abort(reason="not_available")

    async def async_step_lastfm_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure a Last.fm entry (not available yet)."""
        return self.async_abort(reason="not_available")
