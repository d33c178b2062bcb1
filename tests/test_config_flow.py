"""The first step of the config flow."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import CONF_KIND, DOMAIN, EntryKind


async def test_user_step_is_a_menu(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["lastfm", "music_assistant"]


@pytest.mark.parametrize("branch", ["music_assistant"])
async def test_branches_not_built_yet_abort(hass: HomeAssistant, branch: str) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": branch}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_available"


async def test_lastfm_branch_offers_both_paths(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "lastfm"}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["lastfm_api_key", "lastfm_import"]


@pytest.mark.parametrize("kind", [EntryKind.MUSIC_ASSISTANT])
@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_reauth_and_reconfigure_follow_the_kind(
    hass: HomeAssistant, kind: EntryKind, source: str
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: kind})
    entry.add_to_hass(hass)
    if source == "reauth":
        result = await entry.start_reauth_flow(hass)
    else:
        result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_available"
