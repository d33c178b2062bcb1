"""Sensors of a Music Assistant server: its connection, and what each player is playing.

The server is a device with a ``connection`` sensor; each player is a device (via the server)
with a ``now_playing`` sensor, or joins the device of Home Assistant's own Music Assistant
integration when that one knows the same player. Players come and go with the server. A sensor
writes its state only when something a user can see changes: MA pushes many player updates that
change nothing visible, and no position ticks at all (a position would be derived, never pushed).
Each sensor subscribes to the connection itself once it is added to Home Assistant.
"""

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from music_assistant_client import MusicAssistantClient
from music_assistant_models.enums import EventType, MediaType, PlaybackState
from music_assistant_models.event import MassEvent
from music_assistant_models.media_items import Album
from music_assistant_models.player import Player
from music_assistant_models.queue_item import QueueItem

from .const import DOMAIN
from .music_assistant_connection import (
    PLAYER_EVENTS,
    ConnectionState,
    MusicAssistantConfigEntry,
    MusicAssistantConnection,
)
from .music_assistant_playback import queue_item

# The domain of Home Assistant's own Music Assistant integration; its player devices are
# identified by (MA_DOMAIN, player_id).
MA_DOMAIN: Final = "music_assistant"

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

# After a track change, the real server may send the previous track once more (~1.4 s later, the
# queue index going back too): a return to the track shown before is held this long. Long enough
# for the echo, short enough that going back to the previous track on purpose shows soon.
SETTLE_TIME: Final = 3.0


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
    if (media := player.current_media) is None:
        return None
    queue = client.player_queues.get(player.active_source) if player.active_source else None
    return queue_item(media, queue, remembered)


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
        self.server_id = server_id(connection.entry)

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.connection.async_add_state_listener(self._async_refresh))
        self._async_refresh()

    @abstractmethod
    @callback
    def _async_refresh(self) -> None:
        """Write the state if what a user sees has changed."""


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


def track_of(visible: NowPlaying | None) -> tuple[str, Any] | None:
    """Return what tells the shown tracks apart (None while nothing is shown)."""
    if visible is None or visible.state is None:
        return None
    return visible.state, visible.attributes.get("media_uri")


class NowPlayingSensor(MusicAssistantSensor):
    """What a Music Assistant player is playing: "Artist - Title" (with an en dash).

    What changes with every track and only serves a card (artwork, URI, length) stays out of
    the recorder; title, artist and album are recorded, for a history of what was played.
    """

    _unrecorded_attributes = frozenset({"duration", "image_url", "media_uri"})

    def __init__(
        self,
        connection: MusicAssistantConnection,
        player: Player,
        device: DeviceInfo | dr.DeviceEntry,
    ) -> None:
        """Describe the player's device, or join the device it already has."""
        super().__init__(connection, NOW_PLAYING_DESCRIPTION)
        self.player_id = player.player_id
        self._attr_unique_id = now_playing_unique_id(self.server_id, player.player_id)
        # The device of Home Assistant's Music Assistant integration the sensor joined, if any.
        self.joined: dr.DeviceEntry | None = None
        if isinstance(device, dr.DeviceEntry):
            self.device_entry = self.joined = device
        else:
            self._attr_device_info = device
        self._shown: NowPlaying | None = None
        # The queue item of the player's current media, as last seen.
        self._item: QueueItem | None = None
        # The last track shown, the one shown before it (for SETTLE_TIME after the change), and
        # the timer that forgets that one.
        self._track: tuple[str, Any] | None = None
        self._left: tuple[str, Any] | None = None
        self._forget_left: CALLBACK_TYPE | None = None

    @override
    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            self.connection.async_add_player_listener(self.player_id, self._async_on_event)
        )
        self.async_on_remove(self._async_cancel_settle)
        await super().async_added_to_hass()

    @callback
    def _async_on_event(self, event: MassEvent) -> None:
        if self.connection.state is ConnectionState.CONNECTED:
            self._async_refresh()

    @callback
    def _async_cancel_settle(self) -> None:
        if self._forget_left is not None:
            self._forget_left()
            self._forget_left = None

    @callback
    def _async_settled(self, _now: Any) -> None:
        """The settle time after a track change is over: show what the player shows now."""
        self._forget_left = None
        self._left = None
        self._async_refresh()

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

    def _is_echo(self, visible: NowPlaying) -> bool:
        """Tell the server's echo of the track just left (right after a change) from a change."""
        track = track_of(visible)
        return track is not None and track == self._left and track != track_of(self._shown)

    @callback
    def _async_note_track(self, visible: NowPlaying) -> None:
        """Remember a track change, to hold a return to the previous track for a moment."""
        if (track := track_of(visible)) is None:
            return
        if self._track is not None and track != self._track:
            self._left = self._track
            self._async_cancel_settle()
            self._forget_left = async_call_later(self.hass, SETTLE_TIME, self._async_settled)
        self._track = track

    @override
    @callback
    def _async_refresh(self) -> None:
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
            item = current_queue_item(client, player, self._item)
            state, attributes = now_playing(player, item)
            if state is None and self._between_tracks(player):
                self._item = item
                return
            visible = NowPlaying(available=True, state=state, attributes=attributes)
            if self._is_echo(visible):
                return
            self._item = item
        if visible == self._shown:
            return
        self._async_note_track(visible)
        self._shown = visible
        self._attr_available = visible.available
        self._attr_native_value = visible.state
        self._attr_extra_state_attributes = dict(visible.attributes)
        self.async_write_ha_state()


def server_id(entry: MusicAssistantConfigEntry) -> str:
    """Return what the ids of an entry's devices and entities start with (never changes)."""
    return entry.unique_id or entry.entry_id


def server_device_info(connection: MusicAssistantConnection) -> DeviceInfo:
    """Describe the device of a Music Assistant server."""
    info = connection.server_info
    return DeviceInfo(
        identifiers={(DOMAIN, server_id(connection.entry))},
        name=(info.name if info else None) or connection.entry.title,
        manufacturer="Music Assistant",
        model="Music Assistant server",
        sw_version=info.server_version if info else None,
        configuration_url=connection.url,
    )


def player_device_id(server: str, player_id: str) -> str:
    """Return the device identifier of a player of a server."""
    return f"{server}_{player_id}"


def player_id_of_device(
    entry: MusicAssistantConfigEntry, identifiers: Iterable[Iterable[str]]
) -> str | None:
    """Return the player of one of our player devices of an entry, by the device's identifiers.

    None for any other device (the server's, another integration's).
    """
    prefix = player_device_id(server_id(entry), "")
    return next(
        (
            identifier.removeprefix(prefix)
            for domain, identifier in identifiers
            if domain == DOMAIN and identifier.startswith(prefix)
        ),
        None,
    )


def now_playing_unique_id(server: str, player_id: str) -> str:
    """Return the unique id of a player's now-playing sensor."""
    return f"{server}_{player_id}_now_playing"


def ma_player_device(
    hass: HomeAssistant, entry: MusicAssistantConfigEntry, player_id: str
) -> dr.DeviceEntry | None:
    """Return the device Home Assistant's own Music Assistant integration has for a player.

    Only a device of the same server counts: that integration's entry has the server id as its
    unique id, as this entry does.
    """
    if entry.unique_id is None:
        return None
    ma_entry = hass.config_entries.async_entry_for_domain_unique_id(MA_DOMAIN, entry.unique_id)
    if ma_entry is None:
        return None
    return dr.async_get(hass).async_get_device_by_identifier(
        (MA_DOMAIN, player_id), ma_entry.entry_id
    )


def player_device(
    hass: HomeAssistant, entry: MusicAssistantConfigEntry, player: Player, server_device_id: str
) -> DeviceInfo | dr.DeviceEntry:
    """Return the device of a player: the Music Assistant integration's, or one of ours."""
    if (device := ma_player_device(hass, entry, player.player_id)) is not None:
        return device
    return DeviceInfo(
        identifiers={(DOMAIN, player_device_id(server_id(entry), player.player_id))},
        name=player.name,
        manufacturer=player.device_info.manufacturer,
        model=player.device_info.model,
        sw_version=player.device_info.software_version,
        via_device_id=server_device_id,
    )


@callback
def async_join_device(
    hass: HomeAssistant, entry: MusicAssistantConfigEntry, player_id: str, device: dr.DeviceEntry
) -> None:
    """Move a player's sensor (added or not, disabled or not) to another device; drop our own.

    Our own device of the player is removed once it holds nothing else.
    """
    entities = er.async_get(hass)
    unique_id = now_playing_unique_id(server_id(entry), player_id)
    if (entity_id := entities.async_get_entity_id("sensor", DOMAIN, unique_id)) is not None:
        entities.async_update_entity(entity_id, device_id=device.id)
    devices = dr.async_get(hass)
    identifier = (DOMAIN, player_device_id(server_id(entry), player_id))
    twin = devices.async_get_device_by_identifier(identifier, entry.entry_id)
    if twin is not None and not er.async_entries_for_device(
        entities, twin.id, include_disabled_entities=True
    ):
        devices.async_remove_device(twin.id)


class PlayerSensors:
    """Adds the now-playing sensors as players come, and removes those of players gone.

    The sensors update themselves; this only follows the roster: every player event costs a
    lookup, and the whole registry is looked at only when a complete initial state arrived.
    """

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
        self.server_id = server_id(entry)
        self.async_add_entities = async_add_entities
        # Every sensor created, added to Home Assistant or not (a disabled one is not).
        self.sensors: dict[str, NowPlayingSensor] = {}

    @callback
    def async_start(self) -> None:
        """Listen to the connection: players are added once its initial state arrived."""
        self.entry.async_on_unload(self.connection.async_add_state_listener(self._async_on_state))
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                dr.EVENT_DEVICE_REGISTRY_UPDATED, self._async_on_device_removed
            )
        )
        self.entry.async_on_unload(
            self.connection.async_add_event_listener(self._async_on_player_event, PLAYER_EVENTS)
        )

    @property
    def loaded(self) -> bool:
        """Tell whether the entry is loaded: nothing is added or removed once it unloads."""
        return self.entry.state is ConfigEntryState.LOADED

    @callback
    def _async_on_state(self) -> None:
        """Follow the complete state of a (re)connected server."""
        if self.connection.state is ConnectionState.CONNECTED and self.loaded:
            self._async_sync_players()

    @callback
    def _async_on_device_removed(self, event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        """Forget the sensor of a player device that went (deleted by the user, for example).

        The sensor went with it; the player gets a new one if it comes back.
        """
        if event.data["action"] != "remove":
            return
        if player_id := player_id_of_device(self.entry, event.data["device"]["identifiers"]):
            self.sensors.pop(player_id, None)

    @callback
    def _async_on_player_event(self, event: MassEvent) -> None:
        """Add the sensor of a player shown for the first time; remove a removed player's."""
        player_id = event.object_id
        if not player_id or not self.loaded:
            return
        if event.event is EventType.PLAYER_REMOVED:
            self._async_forget(player_id)
        elif player_id not in self.sensors:
            client = self.connection.client
            player = client.players.get(player_id) if client is not None else None
            if player is not None and shown(player):
                self._async_add([player])

    @callback
    def _async_add(self, players: list[Player]) -> None:
        new = [
            NowPlayingSensor(
                self.connection,
                player,
                player_device(self.hass, self.entry, player, self.server_device_id),
            )
            for player in players
        ]
        for sensor in new:
            self.sensors[sensor.player_id] = sensor
            if sensor.joined is not None:
                async_join_device(self.hass, self.entry, sensor.player_id, sensor.joined)
        if new:
            self.async_add_entities(new)

    @callback
    def _async_sync_players(self) -> None:
        """Add sensors for new players; remove what players the server no longer knows had.

        A player the server still knows but has not found again yet (after a restart, or while
        it is off) keeps its device and sensor.
        """
        client = self.connection.client
        if client is None:  # pragma: no cover - connected implies a client
            return
        self._async_add(
            [
                player
                for player in client.players
                if shown(player) and player.player_id not in self.sensors
            ]
        )
        if (known := self.connection.known_player_ids) is None:
            return  # the server did not say which players it knows: remove nothing
        prefix = player_device_id(self.server_id, "")
        ours = {
            player_id
            for device in dr.async_entries_for_config_entry(
                dr.async_get(self.hass), self.entry.entry_id
            )
            if (player_id := player_id_of_device(self.entry, device.identifiers)) is not None
        }
        for entity in er.async_entries_for_config_entry(
            er.async_get(self.hass), self.entry.entry_id
        ):
            player_id = entity.unique_id.removeprefix(prefix).removesuffix("_now_playing")
            if entity.unique_id == now_playing_unique_id(self.server_id, player_id):
                ours.add(player_id)
        ours.update(self.sensors)
        for player_id in ours - known:
            self._async_forget(player_id)

    @callback
    def _async_forget(self, player_id: str) -> None:
        """Remove the device and sensor of a player the server removed, or no longer knows."""
        self.sensors.pop(player_id, None)
        devices = dr.async_get(self.hass)
        identifier = (DOMAIN, player_device_id(self.server_id, player_id))
        if device := devices.async_get_device_by_identifier(identifier, self.entry.entry_id):
            devices.async_remove_device(device.id)
        entities = er.async_get(self.hass)
        unique_id = now_playing_unique_id(self.server_id, player_id)
        if entity_id := entities.async_get_entity_id("sensor", DOMAIN, unique_id):
            entities.async_remove(entity_id)


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
