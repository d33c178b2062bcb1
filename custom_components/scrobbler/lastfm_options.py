"""The options of a Last.fm account: when a play counts (Last.fm's rule by default)."""

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode
import voluptuous as vol

from .lastfm_scrobbling import CONF_CAP_SECONDS, CONF_MIN_LENGTH, CONF_PERCENT, tracker_options


def _number(low: float, high: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=1, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


class LastfmOptionsFlow(OptionsFlowWithReload):
    """Change the thresholds of an account; the entry reloads with them."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the thresholds, the current ones filled in."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        current = tracker_options(self.config_entry.options)
        schema = vol.Schema(
            {
                vol.Required(CONF_PERCENT, default=current.percent): _number(1, 100, "%"),
                vol.Required(CONF_CAP_SECONDS, default=current.cap_seconds): _number(1, 3600, "s"),
                vol.Required(CONF_MIN_LENGTH, default=current.min_length_seconds): _number(
                    0, 600, "s"
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
