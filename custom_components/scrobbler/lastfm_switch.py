"""The "Scrobbling" switch of a Last.fm account: off, its sources' plays are not tracked.

What was queued before is still sent. The state is kept with the stored queue and saved at
once (``lastfm_scrobbling.QueueStore``), so that it survives any restart.
"""

from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .lastfm_coordinator import LastfmConfigEntry
from .lastfm_scrobbling import AccountScrobbler, signal_queue_changed
from .lastfm_sensor import device_info, sensor_unique_id

SCROBBLING = SwitchEntityDescription(key="scrobbling", translation_key="scrobbling")


async def async_setup_switches(
    hass: HomeAssistant,
    entry: LastfmConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the "Scrobbling" switch of a Last.fm account."""
    async_add_entities([ScrobblingSwitch(entry, SCROBBLING)])


class ScrobblingSwitch(SwitchEntity):
    """Whether the account scrobbles the plays of its sources."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: LastfmConfigEntry, description: SwitchEntityDescription) -> None:
        """Describe the switch of an account."""
        self.entity_description = description
        self._scrobbler: AccountScrobbler = entry.runtime_data.scrobbler
        self._attr_unique_id = sensor_unique_id(entry.entry_id, description.key)
        self._attr_device_info = device_info(entry, entry.runtime_data.coordinator)
        self._entry_id = entry.entry_id

    @override
    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_queue_changed(self._entry_id), self.async_write_ha_state
            )
        )

    @property
    @override
    def is_on(self) -> bool:
        return self._scrobbler.scrobbling

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._scrobbler.async_set_scrobbling(scrobbling=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._scrobbler.async_set_scrobbling(scrobbling=False)
