"""The first step of the config flow."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.scrobbler.const import DOMAIN


async def test_user_step_is_a_menu(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["lastfm", "music_assistant"]


async def test_lastfm_branch_offers_both_paths(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "lastfm"}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["lastfm_api_key", "lastfm_import"]
