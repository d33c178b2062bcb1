"""Scrobbling of a Last.fm account: its play tracker, its durable queue and their wiring in HA.

Music Assistant entries publish playbacks on ``SIGNAL_PLAYBACK``; an account takes those of its
``source`` subentries, follows them with a ``PlayTracker`` (by the account's options), tells
Last.fm what plays now (best effort) and queues each play that qualifies in a ``ScrobbleSender``
whose queue is kept in a ``Store`` saved at once.

The "Scrobbling" switch is kept in the same stored file as the queue, saved at once when it
changes: it survives a restart, also a hard one, and goes away with the account.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .lastfm.client import LastfmClient
from .lastfm.errors import LastfmError
from .lastfm.models import Scrobble, Track
from .lastfm_coordinator import ConnectionState, LastfmAccountCoordinator
from .playback import SIGNAL_PLAYBACK, SUBENTRY_SOURCE, SourcePlayback, source_matches
from .scrobbling.models import Decision, NowPlaying, Play, PlayQualified, TrackerOptions
from .scrobbling.queue import AddResult, DeadLetter, QueueCounts, QueueEntry
from .scrobbling.sender import ScrobbleSender
from .scrobbling.tracker import PlayTracker

# The bus event fired for each scrobble Last.fm accepted.
EVENT_SCROBBLED: Final = f"{DOMAIN}_scrobbled"

# An account reloaded within this many seconds goes on tracking what its players played (a
# reload of its options or sources must neither lose nor repeat a play); after a longer stop, its
# players count as gone from the moment it stopped.
RELOAD_GRACE: Final = 60.0
# A play qualified again for the same queue item within its length, less this margin, is the
# same play counted again after tracking restarted (HA restarted, the switch went off and on):
# it is not queued. A repeat of the item starts a whole length later.
SAME_PLAY_MARGIN: Final = 10.0


@dataclass(slots=True)
class _Tracking:
    """What an account's tracking knows, kept across reloads of the account."""

    tracker: PlayTracker
    options: TrackerOptions
    # Tracked players: the tracker's key -> (Music Assistant player id, player name).
    players: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    player_names: dict[str, str] = field(default_factory=dict)
    # When the account stopped: (wall clock, loop time); None while it runs.
    stopped: tuple[float, float] | None = None


DATA_TRACKING: HassKey[dict[str, _Tracking]] = HassKey(f"{DOMAIN}_tracking")
# The version of the stored file of a queue (the queue's own data has its own version).
STORAGE_VERSION: Final = 1
# The key in the stored file that keeps the "Scrobbling" switch.
_STORED_SWITCH: Final = "scrobbling"

# Options of a Last.fm entry: when a play counts.
CONF_PERCENT: Final = "percent"
CONF_CAP_SECONDS: Final = "cap_seconds"
CONF_MIN_LENGTH: Final = "min_length_seconds"


def storage_key(entry_id: str) -> str:
    """Return the key of the stored queue of an account."""
    return f"{DOMAIN}.queue.{entry_id}"


def signal_queue_changed(entry_id: str) -> str:
    """Return the dispatcher signal sent when an account's queue figures or switch change."""
    return f"{DOMAIN}_queue_changed_{entry_id}"


def tracker_options(options: dict[str, Any] | Any) -> TrackerOptions:
    """Return the tracker's thresholds from an entry's options (Last.fm's rule by default)."""
    default = TrackerOptions()
    return TrackerOptions(
        percent=float(options.get(CONF_PERCENT, default.percent)),
        cap_seconds=float(options.get(CONF_CAP_SECONDS, default.cap_seconds)),
        min_length_seconds=float(options.get(CONF_MIN_LENGTH, default.min_length_seconds)),
    )


class QueueStore:
    """The stored file of an account's queue, with its "Scrobbling" switch; saved at once."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the queue of an entry under ``scrobbler.queue.<entry_id>``."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, storage_key(entry_id))
        self.scrobbling = True
        self._queue: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        """Return the stored queue, and read the stored switch."""
        stored = await self._store.async_load()
        if stored is None:
            return None
        data = dict(stored)
        self.scrobbling = bool(data.pop(_STORED_SWITCH, True))
        self._queue = data or None
        return self._queue

    async def save(self, data: dict[str, Any]) -> None:
        """Write the queue (with the switch) now."""
        self._queue = data
        await self._store.async_save({**data, _STORED_SWITCH: self.scrobbling})

    async def save_switch(self, *, scrobbling: bool, queue: dict[str, Any]) -> None:
        """Write the switch now, with the queue as it is."""
        self.scrobbling = scrobbling
        await self.save(queue)

    async def remove(self) -> None:
        """Remove the stored file (the account is removed)."""
        await self._store.async_remove()


class AccountScrobbler:
    """Tracks the plays of an account's sources and sends them to its service."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: LastfmClient,
        coordinator: LastfmAccountCoordinator,
    ) -> None:
        """Scrobble the sources of an entry through its client."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.coordinator = coordinator
        self.storage = QueueStore(hass, entry.entry_id)
        options = tracker_options(entry.options)
        trackings = hass.data.setdefault(DATA_TRACKING, {})
        tracking = trackings.get(entry.entry_id)
        if tracking is None or tracking.options != options:
            tracking = trackings[entry.entry_id] = _Tracking(PlayTracker(options), options)
        self._tracking = tracking
        self.tracker = tracking.tracker
        self.sender = ScrobbleSender(
            entry.entry_id,
            entry.data[CONF_USERNAME],
            client,
            self.storage,
            clock=_now,
            tz=dt_util.get_default_time_zone(),
            on_accepted=self._accepted,
            on_reauth_needed=self._reauth_needed,
            on_dead_letter=self._dead_letter,
        )
        # The track last sent as now playing: what love and unlove take by default.
        self.now_playing: Track | None = None
        self._players = tracking.players
        self._player_names = tracking.player_names
        self._timer: CALLBACK_TYPE | None = None
        self._unsubscribe: CALLBACK_TYPE | None = None

    # --- life cycle -----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the stored queue, start sending, and listen to playbacks.

        Raises:
            ValueError: the stored queue cannot be read.
        """
        await self.sender.start()
        self._unsubscribe = async_dispatcher_connect(
            self.hass, SIGNAL_PLAYBACK, self._async_playback
        )
        decisions: list[Decision] = []
        if (stopped := self._tracking.stopped) is not None:
            self._tracking.stopped = None
            if _now() - stopped[0] > RELOAD_GRACE:
                for key in list(self._players):
                    decisions += self.tracker.player_gone(key, *stopped)
        self._decide(decisions)

    async def async_stop(self) -> None:
        """Stop listening and sending; the queue is saved, what was heard is dropped."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            self._tracking.stopped = (_now(), self.hass.loop.time())
        self._cancel_timer()
        await self.sender.stop()

    # --- figures and switch ---------------------------------------------------------------

    @property
    def scrobbling(self) -> bool:
        """Whether plays of the sources are tracked and announced (the switch)."""
        return self.storage.scrobbling

    def counts(self) -> QueueCounts:
        """The figures of the queue."""
        return self.sender.counts()

    async def async_set_scrobbling(self, *, scrobbling: bool) -> None:
        """Turn tracking on or off; off forgets what players were playing. Saved at once."""
        if not scrobbling:
            for key in self._players:
                self.tracker.forget(key)
            self._players.clear()
            self._cancel_timer()
        await self.storage.save_switch(scrobbling=scrobbling, queue=self.sender.queue.to_dict())
        self._changed()

    # --- the integration's calls ----------------------------------------------------------

    async def async_add(
        self, scrobble: Scrobble, *, track_id: str, player_id: str | None = None
    ) -> AddResult:
        """Queue a play (saved at once) and update the figures."""
        result = await self.sender.add(scrobble, track_id=track_id, player_id=player_id)
        self._changed()
        return result

    async def async_retry_dead_letters(self) -> int:
        """Queue the dead letters again; return how many."""
        count = await self.sender.retry_dead_letters()
        self._changed()
        return count

    # --- playbacks ------------------------------------------------------------------------

    @callback
    def _async_playback(self, playback: SourcePlayback) -> None:
        """Follow a playback of one of the account's sources (unless scrobbling is off).

        A tracked player whose playback no longer belongs to a source (another Music Assistant
        user took it over) counts as gone: what it plays now is not this account's.
        """
        if not self.scrobbling:
            return
        snapshot = playback.snapshot
        key = f"{playback.server_entry_id}:{snapshot.player_id}"
        if not any(
            source_matches(subentry.data, playback)
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_SOURCE
        ):
            playback = replace(playback, gone=True)
        elif playback.player_name:
            self._player_names[snapshot.player_id] = playback.player_name
        if playback.gone:
            if key not in self._players:
                return
            decisions = self.tracker.player_gone(key, snapshot.observed_at, snapshot.monotonic)
        else:
            self._players[key] = (snapshot.player_id, playback.player_name)
            decisions = self.tracker.observe(replace(snapshot, player_id=key))
        self._decide(decisions)

    @callback
    def _async_tick(self, _when: datetime) -> None:
        """Let time pass for players that play on unobserved, when a play is due."""
        self._timer = None
        self._decide(self.tracker.tick(_now(), self.hass.loop.time()))

    @callback
    def _decide(self, decisions: list[Decision]) -> None:
        """Act on the tracker's decisions, then set the timer of the next due play."""
        for decision in decisions:
            if isinstance(decision, NowPlaying):
                self._announce(decision.play)
            elif isinstance(decision, PlayQualified):
                self._queue_play(decision.play)
        self._cancel_timer()
        if (due := self.tracker.next_due()) is not None:
            self._timer = async_track_point_in_utc_time(
                self.hass, self._async_tick, dt_util.utc_from_timestamp(due)
            )

    def _announce(self, play: Play) -> None:
        """Show the play as now playing, and tell the service once (never retried)."""
        self.now_playing = play.track
        self.coordinator.async_set_now_playing(play.track)
        self.entry.async_create_background_task(
            self.hass, self._send_now_playing(play.track), "scrobbler now playing"
        )

    async def _send_now_playing(self, track: Track) -> None:
        try:
            await self.client.update_now_playing(track)
        except LastfmError as err:
            LOGGER.debug("Could not send what %s plays now: %s", self.entry.title, err)

    def _queue_play(self, play: Play) -> None:
        """Queue a qualified play; it is in memory at once and on disk on the first await."""
        player_id = self._players.get(play.player_id, (play.player_id, None))[0]
        track_id = f"{play.player_id}/{play.item_id}"
        if (duration := play.track.duration) and self.sender.queue.started_since(
            track_id, play.started_at - duration + SAME_PLAY_MARGIN
        ):
            LOGGER.debug("%s was counted already for %s", play.track.title, self.entry.title)
            return
        self.entry.async_create_task(
            self.hass,
            self.async_add(play.scrobble(), track_id=track_id, player_id=player_id),
            "scrobbler queue play",
            eager_start=True,
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    # --- the sender's callbacks -----------------------------------------------------------

    def _accepted(self, entry: QueueEntry) -> None:
        """Fire ``scrobbler_scrobbled`` for a play Last.fm accepted."""
        track = entry.scrobble.track
        self.hass.bus.async_fire(
            EVENT_SCROBBLED,
            {
                "config_entry_id": self.entry.entry_id,
                "artist": track.artist,
                "track": track.title,
                "album": track.album,
                "timestamp": dt_util.utc_from_timestamp(entry.scrobble.timestamp).isoformat(),
                "player_id": entry.player_id,
                "player_name": entry.player_id and self._player_names.get(entry.player_id),
            },
        )
        self._changed()

    def _dead_letter(self, letter: DeadLetter) -> None:
        track = letter.entry.scrobble.track
        LOGGER.warning(
            "Last.fm did not take %s - %s for %s: %s",
            track.artist,
            track.title,
            self.entry.title,
            letter.message,
        )
        self._changed()

    def _reauth_needed(self) -> None:
        """The service refused the session: show it and ask the user to approve again."""
        self.coordinator.connection = ConnectionState.AUTH_FAILED
        self.coordinator.async_update_listeners()
        self.entry.async_start_reauth(self.hass)
        self._changed()

    def _changed(self) -> None:
        async_dispatcher_send(self.hass, signal_queue_changed(self.entry.entry_id))


def _now() -> float:
    """The time now (UNIX seconds), on Home Assistant's clock."""
    return dt_util.utcnow().timestamp()
