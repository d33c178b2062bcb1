"""Sensors of a Last.fm account: what plays, the last scrobble, the play count, the connection."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .lastfm.models import RecentTrack
from .lastfm_account import ConnectionState, LastfmAccountCoordinator, LastfmConfigEntry

# The longest state Home Assistant stores.
MAX_STATE_LENGTH = 255


@dataclass(frozen=True, kw_only=True)
class LastfmSensorEntityDescription(SensorEntityDescription):
    """A sensor of a Last.fm account and how it reads the coordinator."""

    value_fn: Callable[[LastfmAccountCoordinator], StateType]
    attributes_fn: Callable[[LastfmAccountCoordinator], dict[str, Any]] | None = None
    # Whether the sensor keeps reporting while the account cannot be polled.
    always_available: bool = False


def _track_state(track: RecentTrack | None) -> str | None:
    if track is None:
        return None
    return f"{track.artist} \N{EN DASH} {track.title}"[:MAX_STATE_LENGTH]


def _track_attributes(track: RecentTrack | None) -> dict[str, Any]:
    return {
        "artist": track and track.artist,
        "title": track and track.title,
        "album": track and track.album,
        "image_url": track and track.image_url,
    }


def _last_scrobble_attributes(coordinator: LastfmAccountCoordinator) -> dict[str, Any]:
    track = coordinator.data.last_scrobble
    played_at = track and track.played_at
    return _track_attributes(track) | {"played_at": played_at and played_at.isoformat()}


SENSORS: tuple[LastfmSensorEntityDescription, ...] = (
    LastfmSensorEntityDescription(
        key="now_playing",
        translation_key="now_playing",
        value_fn=lambda coordinator: _track_state(coordinator.data.now_playing),
        attributes_fn=lambda coordinator: _track_attributes(coordinator.data.now_playing),
    ),
    LastfmSensorEntityDescription(
        key="last_scrobble",
        translation_key="last_scrobble",
        value_fn=lambda coordinator: _track_state(coordinator.data.last_scrobble),
        attributes_fn=_last_scrobble_attributes,
    ),
    LastfmSensorEntityDescription(
        key="scrobbles",
        translation_key="scrobbles",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda coordinator: coordinator.data.user.playcount,
    ),
    LastfmSensorEntityDescription(
        key="connection",
        translation_key="connection",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ConnectionState],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.connection,
        always_available=True,
    ),
)


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: LastfmConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a Last.fm account."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(LastfmSensor(coordinator, description) for description in SENSORS)


class LastfmSensor(CoordinatorEntity[LastfmAccountCoordinator], SensorEntity):
    """A sensor of a Last.fm account, on the account's service device."""

    _attr_has_entity_name = True
    entity_description: LastfmSensorEntityDescription

    def __init__(
        self, coordinator: LastfmAccountCoordinator, description: LastfmSensorEntityDescription
    ) -> None:
        """Describe one sensor of the coordinator's account."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        account = entry.unique_id or entry.entry_id
        self._attr_unique_id = f"{account}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, account)},
            name=entry.title,
            entry_type=DeviceEntryType.SERVICE,
            configuration_url=coordinator.data.user.url,
        )

    @property
    @override
    def available(self) -> bool:
        return self.entity_description.always_available or super().available

    @property
    @override
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator)
