"""The repair issues of this integration, and their fix flows.

A source whose Music Assistant server was removed is fixed by removing the source.
"""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


@callback
def async_warn(
    hass: HomeAssistant,
    issue_id: str,
    translation_key: str,
    placeholders: dict[str, str],
    fix_data: Mapping[str, str] | None = None,
) -> None:
    """Raise a warning issue; one with ``fix_data`` has a fix flow."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=fix_data is not None,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders=placeholders,
        data=dict(fix_data) if fix_data is not None else None,
    )


class RemoveSourceFlow(ConfirmRepairFlow):
    """Remove a scrobble source whose Music Assistant server is gone, once confirmed."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Fix the source ``subentry_id`` of the Last.fm entry ``entry_id``."""
        self.entry_id = entry_id
        self.subentry_id = subentry_id

    @override
    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove the source when confirmed (unless it is gone already)."""
        if (
            user_input is not None
            and (entry := self.hass.config_entries.async_get_entry(self.entry_id)) is not None
            and self.subentry_id in entry.subentries
        ):
            self.hass.config_entries.async_remove_subentry(entry, self.subentry_id)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the fix flow of a repair issue of this integration."""
    data = data or {}
    return RemoveSourceFlow(str(data.get("entry_id")), str(data.get("subentry_id")))
