"""The playback of a Music Assistant server's players, published to the Last.fm accounts.

One publisher per Music Assistant entry listens to its connection (one subscription, however
many accounts listen) and sends a :class:`~.playback.SourcePlayback` on ``SIGNAL_PLAYBACK`` for
every event of a player or of the queue it plays from, built by one
:class:`~.music_assistant_playback.MusicAssistantPlayback` adapter. A player that goes away (its
removal, a dropped connection, the entry unloaded) is published once more with ``gone``. The
user a player's plays are attributed to comes from the server's ``media_item_played`` reports
(``userid``), matched to players by their ``player_id`` or, on servers that send none, by the
item's URI; the last one of each player is kept.
"""

from collections.abc import Callable
import time

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from music_assistant_models.enums import EventType
from music_assistant_models.errors import MusicAssistantError
from music_assistant_models.event import MassEvent
from music_assistant_models.playback_progress_report import MediaItemPlaybackProgressReport
from music_assistant_models.player import Player

from .const import LOGGER
from .music_assistant_connection import (
    PLAYBACK_EVENTS,
    QUEUE_EVENTS,
    ConnectionState,
    MusicAssistantConnection,
)
from .music_assistant_playback import MusicAssistantPlayback
from .playback import SIGNAL_PLAYBACK, SourcePlayback
from .scrobbling.models import PlaybackSnapshot, PlaybackState


class MusicAssistantPublisher:
    """Publish the playback of every player of one Music Assistant server."""

    def __init__(
        self,
        hass: HomeAssistant,
        connection: MusicAssistantConnection,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """Prepare; nothing is subscribed until ``async_start``."""
        self.hass = hass
        self.connection = connection
        self.server_entry_id = connection.entry.entry_id
        self._wall_clock = wall_clock
        self._adapter = MusicAssistantPlayback()
        # The players published and not gone since, with their names.
        self._players: dict[str, str] = {}
        # The Music Assistant user of each player (its queue), from its last report.
        self._users: dict[str, str] = {}
        # The media URIs each player played last and plays now (a report may come late).
        self._uris: dict[str, tuple[str | None, str | None]] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> None:
        """Listen to the connection; publish what the players do now when it is connected."""
        self._unsubscribe = [
            self.connection.async_add_event_listener(self._async_on_event, PLAYBACK_EVENTS),
            self.connection.async_add_state_listener(self._async_on_state),
        ]
        self._async_on_state()

    @callback
    def async_stop(self) -> None:
        """Stop listening; every player published is gone."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._async_all_gone()

    @callback
    def _async_on_state(self) -> None:
        """Publish every player on a (re)connection; none is left after a drop."""
        if self.connection.state is not ConnectionState.CONNECTED:
            self._async_all_gone()
            return
        if (client := self.connection.client) is None:
            return
        for player in list(client.players):
            self._async_publish(player)

    @callback
    def _async_on_event(self, event: MassEvent) -> None:
        """Publish the players an event is about."""
        client = self.connection.client
        if client is None:
            return
        object_id = event.object_id or ""
        if event.event is EventType.MEDIA_ITEM_PLAYED:
            self._async_on_report(event)
            return
        if event.event is EventType.PLAYER_REMOVED:
            self._async_gone(object_id)
            return
        if event.event in (*QUEUE_EVENTS, EventType.QUEUE_TIME_UPDATED):
            player_ids = self.connection.players_of_queue(object_id)
        else:
            player_ids = frozenset({object_id})
        for player_id in player_ids:
            if (player := client.players.get(player_id)) is not None:
                self._async_publish(player)

    @callback
    def _async_on_report(self, event: MassEvent) -> None:
        """Remember the user of the players a report is about.

        Newer servers name the player (the queue); older ones only the item: then the players
        that play it, or played it last, are meant.
        """
        if not isinstance(event.data, dict):
            return
        try:
            report = MediaItemPlaybackProgressReport.from_dict(event.data)
        except (MusicAssistantError, ValueError, TypeError, KeyError) as err:
            LOGGER.debug("Unreadable media_item_played report: %r", err)
            return
        if report.userid is None:
            return
        if report.player_id is not None:
            players = {report.player_id} | self.connection.players_of_queue(report.player_id)
        else:
            players = {player_id for player_id, uris in self._uris.items() if report.uri in uris}
        for player_id in players:
            self._users[player_id] = report.userid

    @callback
    def _async_publish(self, player: Player) -> None:
        """Publish what a player does now (unless the adapter skips this report)."""
        client = self.connection.client
        queue = (
            client.player_queues.get(player.active_source)
            if client is not None and player.active_source
            else None
        )
        snapshot = self._adapter.snapshot(player, queue, self._wall_clock(), self.hass.loop.time())
        if snapshot is None:
            return
        self._players[player.player_id] = player.name
        uris = self._uris.get(player.player_id, (None, None))
        if snapshot.uri is not None and snapshot.uri != uris[1]:
            self._uris[player.player_id] = (uris[1], snapshot.uri)
        self._async_send(snapshot, player.name)

    @callback
    def _async_gone(self, player_id: str) -> None:
        """Publish that a player is gone, once."""
        if (name := self._players.pop(player_id, None)) is None:
            return
        self._adapter.forget(player_id)
        self._uris.pop(player_id, None)
        snapshot = PlaybackSnapshot(
            player_id, self._wall_clock(), PlaybackState.IDLE, monotonic=self.hass.loop.time()
        )
        self._async_send(snapshot, name, gone=True)

    @callback
    def _async_all_gone(self) -> None:
        for player_id in list(self._players):
            self._async_gone(player_id)

    @callback
    def _async_send(self, snapshot: PlaybackSnapshot, name: str, *, gone: bool = False) -> None:
        async_dispatcher_send(
            self.hass,
            SIGNAL_PLAYBACK,
            SourcePlayback(
                server_entry_id=self.server_entry_id,
                snapshot=snapshot,
                user_id=self._users.get(snapshot.player_id),
                player_name=name,
                gone=gone,
            ),
        )
