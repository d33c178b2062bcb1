"""Setting up and unloading config entries of each kind."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.scrobbler.const import CONF_KIND, DOMAIN, EntryKind


# Last.fm entries: tests/lastfm_integration.
@pytest.mark.parametrize("kind", [EntryKind.MUSIC_ASSISTANT])
async def test_setup_unload_remove(hass: HomeAssistant, kind: EntryKind) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: kind})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    await hass.config_entries.async_remove(entry.entry_id)
    assert hass.config_entries.async_get_entry(entry.entry_id) is None


# Last.fm entries: tests/lastfm_integration.
@pytest.mark.parametrize("kind", [EntryKind.MUSIC_ASSISTANT])
async def test_diagnostics_follow_the_kind(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, kind: EntryKind
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: kind})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert await get_diagnostics_for_config_entry(hass, hass_client, entry) == {}
