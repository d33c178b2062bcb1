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
from homeassistant.const import CONF_USERNAME, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_API_ROOT, CONF_SERVICE, DOMAIN
from .lastfm.models import RecentTrack
from .lastfm.services import service_name
from .lastfm_coordinator import (
    ConnectionState,
    LastfmAccountCoordinator,
    LastfmAccountState,
    LastfmConfigEntry,
)
from .lastfm_scrobbling import AccountScrobbler, signal_queue_changed
from .scrobbling.queue import QueueCounts

# The longest state Home Assistant stores.
MAX_STATE_LENGTH = 255
# The model of every account's device (the manufacturer is the service).
DEVICE_MODEL = "Account"


@dataclass(frozen=True, kw_only=True)
class LastfmSensorEntityDescription(SensorEntityDescription):
    """A sensor of a Last.fm account and how it reads the coordinator."""

    value_fn: Callable[[LastfmAccountCoordinator], StateType]
    attributes_fn: Callable[[LastfmAccountCoordinator], dict[str, Any] | None] | None = None
    # Whether the sensor keeps reporting while the account cannot be polled.
    always_available: bool = False


def _polled[T](
    read: Callable[[LastfmAccountState], T],
) -> Callable[[LastfmAccountCoordinator], T | None]:
    """Read what the last successful poll returned (nothing before the first one)."""
    return lambda coordinator: None if coordinator.data is None else read(coordinator.data)


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


def _last_scrobble_attributes(state: LastfmAccountState) -> dict[str, Any]:
    track = state.last_scrobble
    played_at = track and track.played_at
    return _track_attributes(track) | {"played_at": played_at and played_at.isoformat()}


SENSORS: tuple[LastfmSensorEntityDescription, ...] = (
    LastfmSensorEntityDescription(
        key="now_playing",
        translation_key="now_playing",
        value_fn=_polled(lambda state: _track_state(state.now_playing)),
        attributes_fn=_polled(lambda state: _track_attributes(state.now_playing)),
    ),
    LastfmSensorEntityDescription(
        key="last_scrobble",
        translation_key="last_scrobble",
        value_fn=_polled(lambda state: _track_state(state.last_scrobble)),
        attributes_fn=_polled(_last_scrobble_attributes),
    ),
    LastfmSensorEntityDescription(
        key="scrobbles",
        translation_key="scrobbles",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=_polled(lambda state: state.user.playcount),
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


@dataclass(frozen=True, kw_only=True)
class QueueSensorEntityDescription(SensorEntityDescription):
    """A sensor of an account's scrobble queue and the figure it shows."""

    value_fn: Callable[[QueueCounts], int]


QUEUE_SENSORS: tuple[QueueSensorEntityDescription, ...] = (
    QueueSensorEntityDescription(
        key="pending_scrobbles",
        translation_key="pending_scrobbles",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda counts: counts.pending + counts.in_flight,
    ),
    QueueSensorEntityDescription(
        key="dead_letters",
        translation_key="dead_letters",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda counts: counts.dead_letters,
    ),
    QueueSensorEntityDescription(
        key="scrobbles_today",
        translation_key="scrobbles_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda counts: counts.scrobbled_today,
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
    async_add_entities(QueueSensor(entry, description) for description in QUEUE_SENSORS)


def sensor_unique_id(entry_id: str, key: str) -> str:
    """Return the unique id of a sensor of an account: from the entry id, which never changes."""
    return f"{entry_id}_{key}"


def device_info(entry: LastfmConfigEntry, coordinator: LastfmAccountCoordinator) -> DeviceInfo:
    """Return the service device of an account.

    Its identifier is the entry id, which never changes; its name is the user name, so that
    entity ids read ``sensor.<user>_now_playing`` whatever the server.
    """
    state = coordinator.data
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.data[CONF_USERNAME],
        manufacturer=service_name(entry.data[CONF_SERVICE], entry.data[CONF_API_ROOT]),
        model=DEVICE_MODEL,
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=None if state is None else state.user.url,
    )


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
        self._attr_unique_id = sensor_unique_id(entry.entry_id, description.key)
        self._attr_device_info = device_info(entry, coordinator)

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


class QueueSensor(SensorEntity):
    """A figure of an account's scrobble queue, pushed when it changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: QueueSensorEntityDescription

    def __init__(self, entry: LastfmConfigEntry, description: QueueSensorEntityDescription) -> None:
        """Describe one figure of the account's queue."""
        self.entity_description = description
        self._scrobbler: AccountScrobbler = entry.runtime_data.scrobbler
        self._attr_unique_id = sensor_unique_id(entry.entry_id, description.key)
        self._attr_device_info = device_info(entry, entry.runtime_data.coordinator)

    @override
    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_queue_changed(self._scrobbler.entry.entry_id),
                self.async_write_ha_state,
            )
        )

    @property
    @override
    def native_value(self) -> int:
        return self.entity_description.value_fn(self._scrobbler.counts())
