"""Sensors of a Music Assistant server: its connection, and what each player is playing.

The server is a device with a ``connection`` sensor; each player is a device (via the server)
with a ``now_playing`` sensor. Players come and go with the server. A sensor writes its state only
when something a user can see changes: MA pushes many player updates that change nothing visible,
and no position ticks at all (a position would be derived, never pushed).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from music_assistant_client import MusicAssistantClient
from music_assistant_models.enums import EventType, MediaType, PlaybackState
from music_assistant_models.event import MassEvent
from music_assistant_models.media_items import Album
from music_assistant_models.player import Player
from music_assistant_models.queue_item import QueueItem

from .const import DOMAIN
from .music_assistant_server import (
    ConnectionState,
    MusicAssistantConfigEntry,
    MusicAssistantConnection,
)

CONNECTION_DESCRIPTION: Final = SensorEntityDescription(
    key="connection",
    translation_key="connection",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in ConnectionState],
    entity_category=EntityCategory.DIAGNOSTIC,
)
NOW_PLAYING_DESCRIPTION: Final = SensorEntityDescription(
    key="now_playing", translation_key="now_playing"
)

# What a now-playing state shows while a track plays or is paused.
SHOWN_STATES: Final = (PlaybackState.PLAYING, PlaybackState.PAUSED)
MAX_STATE_LENGTH: Final = 255
SEPARATOR: Final = " \N{EN DASH} "

PLAYER_EVENTS: Final = (EventType.PLAYER_ADDED, EventType.PLAYER_UPDATED, EventType.PLAYER_REMOVED)
QUEUE_EVENTS: Final = (EventType.QUEUE_ADDED, EventType.QUEUE_UPDATED)


@dataclass(frozen=True, slots=True)
class NowPlaying:
    """What a now-playing sensor shows; two equal values look the same to a user."""

    available: bool
    state: str | None
    attributes: Mapping[str, Any]


NOTHING: Final = {
    "title": None,
    "artist": None,
    "album": None,
    "album_artist": None,
    "duration": None,
    "image_url": None,
    "media_uri": None,
    "musicbrainz_recording_id": None,
}


def current_queue_item(
    client: MusicAssistantClient, player: Player, remembered: QueueItem | None
) -> QueueItem | None:
    """Return the queue item of what the player plays, if it comes from an MA queue.

    The queue and the player are updated separately: for a moment around a play start or a
    track change the queue's current item is missing or already the next one. The item seen
    last for the player's media (``remembered``) then still serves.
    """
    media = player.current_media
    if media is None or media.queue_item_id is None:
        return None
    queue = client.player_queues.get(player.active_source) if player.active_source else None
    item = queue.current_item if queue is not None else None
    for candidate in (item, remembered):
        if candidate is not None and candidate.queue_item_id == media.queue_item_id:
            return candidate
    return None


def now_playing(player: Player, item: QueueItem | None) -> tuple[str | None, dict[str, Any]]:
    """Return the state and attributes of a player's now-playing sensor.

    The player's current media gives title, artist, album and image as the player shows them;
    its queue item adds what the library knows: MusicBrainz id, album artist, and whatever the
    player did not report. A radio item comes back as a Track, so ``media_type`` decides, not
    the class.
    """
    attributes: dict[str, Any] = {**NOTHING, "playback_state": player.playback_state.value}
    media = player.current_media
    if player.playback_state not in SHOWN_STATES or media is None:
        return None, attributes
    title, artist, album = media.title, media.artist, media.album
    album_artist, duration, mbid = media.album_artist, media.duration, None
    track = item.media_item if item is not None else None
    if track is not None and track.media_type is MediaType.TRACK:
        title = title or track.name
        artist = artist or getattr(track, "artist_str", None) or None
        track_album = getattr(track, "album", None)
        album = album or (track_album.name if track_album is not None else None)
        if album_artist is None and isinstance(track_album, Album):
            album_artist = track_album.artist_str or None
        duration = duration or getattr(track, "duration", None) or None
        mbid = track.mbid
    attributes.update(
        title=title,
        artist=artist,
        album=album,
        album_artist=album_artist,
        duration=duration,
        image_url=media.image_url,
        media_uri=media.uri,
        musicbrainz_recording_id=mbid,
    )
    if title is None:
        return None, attributes
    state = f"{artist}{SEPARATOR}{title}" if artist else title
    return state[:MAX_STATE_LENGTH], attributes


def shown(player: Player) -> bool:
    """Tell whether a player gets a device here (enabled and exposed to Home Assistant)."""
    return player.enabled and player.expose_to_ha


class MusicAssistantSensor(SensorEntity):
    """A sensor of a Music Assistant server, updated by pushed events."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, connection: MusicAssistantConnection, description: SensorEntityDescription
    ) -> None:
        """Describe the sensor."""
        self.connection = connection
        self.entity_description = description
        self.server_id = connection.entry.unique_id or connection.entry.entry_id


class ConnectionSensor(MusicAssistantSensor):
    """The state of the connection; available even while the server is not."""

    _attr_available = True

    def __init__(self, connection: MusicAssistantConnection) -> None:
        """Describe the server device."""
        super().__init__(connection, CONNECTION_DESCRIPTION)
        self._attr_unique_id = f"{self.server_id}_connection"
        self._attr_device_info = server_device_info(connection)
        self._shown: tuple[Any, ...] | None = None

    @override
    async def async_added_to_hass(self) -> None:
        self.async_on_remove(self.connection.async_add_state_listener(self._async_refresh))
        self._async_refresh()

    @callback
    def _async_refresh(self) -> None:
        """Write the state when the connection state or the server's versions changed."""
        info = self.connection.server_info
        self._attr_native_value = self.connection.state.value
        self._attr_extra_state_attributes = {
            "server_version": info.server_version if info else None,
            "schema_version": info.schema_version if info else None,
        }
        shown_now = (self._attr_native_value, *self._attr_extra_state_attributes.values())
        if shown_now != self._shown:
            self._shown = shown_now
            self.async_write_ha_state()


class NowPlayingSensor(MusicAssistantSensor):
    """What a Music Assistant player is playing: "Artist - Title" (with an en dash)."""

    def __init__(
        self, connection: MusicAssistantConnection, player: Player, server_device_id: str
    ) -> None:
        """Describe the player's device."""
        super().__init__(connection, NOW_PLAYING_DESCRIPTION)
        self.player_id = player.player_id
        self._attr_unique_id = f"{self.server_id}_{player.player_id}_now_playing"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, player_device_id(self.server_id, player.player_id))},
            name=player.name,
            manufacturer=player.device_info.manufacturer,
            model=player.device_info.model,
            sw_version=player.device_info.software_version,
            via_device_id=server_device_id,
        )
        self._shown: NowPlaying | None = None
        # The queue item of the player's current media, as last seen.
        self._item: QueueItem | None = None

    @override
    async def async_added_to_hass(self) -> None:
        self.async_refresh()

    def _between_tracks(self, player: Player) -> bool:
        """Tell a play start or track change in progress from the end of a track.

        For a moment after a play start or a track change MA reports a playing player without
        current media. Showing "nothing" then would make the title flicker: the track shown
        stays until the player reports media again, or stops.
        """
        return (
            player.current_media is None
            and player.playback_state is PlaybackState.PLAYING
            and self._shown is not None
            and self._shown.available
            and self._shown.state is not None
        )

    @callback
    def async_refresh(self) -> None:
        """Write the state if what a user sees has changed."""
        client = self.connection.client
        player = client.players.get(self.player_id) if client is not None else None
        if (
            client is None
            or player is None
            or self.connection.state is not ConnectionState.CONNECTED
            or not player.available
        ):
            visible = NowPlaying(available=False, state=None, attributes={})
        else:
            self._item = current_queue_item(client, player, self._item)
            state, attributes = now_playing(player, self._item)
            if state is None and self._between_tracks(player):
                return
            visible = NowPlaying(available=True, state=state, attributes=attributes)
        if visible == self._shown:
            return
        self._shown = visible
        self._attr_available = visible.available
        self._attr_native_value = visible.state
        self._attr_extra_state_attributes = dict(visible.attributes)
        self.async_write_ha_state()


def server_device_info(connection: MusicAssistantConnection) -> DeviceInfo:
    """Describe the device of a Music Assistant server."""
    info = connection.server_info
    return DeviceInfo(
        identifiers={(DOMAIN, connection.entry.unique_id or connection.entry.entry_id)},
        name=(info.name if info else None) or connection.entry.title,
        manufacturer="Music Assistant",
        model="Music Assistant server",
        sw_version=info.server_version if info else None,
        configuration_url=connection.url,
    )


def player_device_id(server_id: str, player_id: str) -> str:
    """Return the device identifier of a player of a server."""
    return f"{server_id}_{player_id}"


class PlayerSensors:
    """Adds, updates and removes the now-playing sensors as players come and go."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MusicAssistantConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
        server_device_id: str,
    ) -> None:
        """Follow the players of an entry's connection."""
        self.server_device_id = server_device_id
        self.hass = hass
        self.entry = entry
        self.connection = entry.runtime_data
        self.server_id = entry.unique_id or entry.entry_id
        self.async_add_entities = async_add_entities
        self.sensors: dict[str, NowPlayingSensor] = {}

    @callback
    def async_start(self) -> None:
        """Listen to the connection: players are added once its initial state arrived."""
        self.entry.async_on_unload(self.connection.async_add_state_listener(self._async_on_state))
        self.entry.async_on_unload(self.connection.async_add_event_listener(self._async_on_event))

    @callback
    def _async_on_state(self) -> None:
        """Follow the new state of a (re)connected server; show availability."""
        if self.connection.state is ConnectionState.CONNECTED:
            self._async_sync_players()
        for sensor in list(self.sensors.values()):
            sensor.async_refresh()

    @callback
    def _async_on_event(self, event: MassEvent) -> None:
        """Refresh the sensors an event concerns."""
        if self.connection.state is not ConnectionState.CONNECTED:
            return
        if event.event in PLAYER_EVENTS:
            self._async_sync_players()
            if sensor := self.sensors.get(event.object_id or ""):
                sensor.async_refresh()
        elif event.event in QUEUE_EVENTS:
            client = self.connection.client
            for sensor in list(self.sensors.values()):
                player = client.players.get(sensor.player_id) if client else None
                if player is not None and player.active_source == event.object_id:
                    sensor.async_refresh()

    @callback
    def _async_sync_players(self) -> None:
        """Add sensors for new players; remove the devices of players that are gone."""
        client = self.connection.client
        if client is None:  # pragma: no cover - connected implies a client
            return
        players = {player.player_id: player for player in client.players if shown(player)}
        new = [
            NowPlayingSensor(self.connection, player, self.server_device_id)
            for player_id, player in players.items()
            if player_id not in self.sensors
        ]
        for sensor in new:
            self.sensors[sensor.player_id] = sensor
        if new:
            self.async_add_entities(new)
        for player_id in [player_id for player_id in self.sensors if player_id not in players]:
            del self.sensors[player_id]
        self._async_remove_stale_devices(set(players))

    @callback
    def _async_remove_stale_devices(self, player_ids: set[str]) -> None:
        """Remove the devices (and so the sensors) of players the server no longer has."""
        registry = dr.async_get(self.hass)
        kept = {(DOMAIN, self.server_id)} | {
            (DOMAIN, player_device_id(self.server_id, player_id)) for player_id in player_ids
        }
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            if not device.identifiers & kept:
                registry.async_update_device(device.id, remove_config_entry_id=self.entry.entry_id)


@callback
def async_setup_sensors(
    hass: HomeAssistant,
    entry: MusicAssistantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the server device with its connection sensor, and follow the players."""
    server_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **server_device_info(entry.runtime_data)
    )
    async_add_entities([ConnectionSensor(entry.runtime_data)])
    PlayerSensors(hass, entry, async_add_entities, server_device.id).async_start()
