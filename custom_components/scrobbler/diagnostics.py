"""Diagnostics of Scrobbler config entries; secrets are redacted."""

from typing import Any

from homeassistant.core import HomeAssistant

from .kinds import ScrobblerConfigEntry, kind_of


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ScrobblerConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    return await kind_of(entry).async_get_diagnostics(hass, entry)
