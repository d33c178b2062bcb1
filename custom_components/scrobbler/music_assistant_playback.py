"""Playback snapshots of Music Assistant players, for the play tracker.

:class:`MusicAssistantPlayback` turns a player and its queue, as music-assistant-client keeps
them, into :class:`~.scrobbling.models.PlaybackSnapshot` values, and hides what a real server
reports that is not playback:

* **Title None at a play start**: for ~1.5 s after a play starts the player reports
  ``playing`` with ``current_media: null``. After media, such reports are skipped for
  :data:`NO_MEDIA_GRACE` seconds from the first of them; a report after that says the player
  plays something that cannot be named, since that first one (it is stamped with its time, so
  that the item before is not credited for the wait).
* **The previous title after a skip**: ~1.5 s after a skip the server may report the skipped
  item once more (the queue index goes back too). The item that was current until a change
  less than :data:`FLICKER_WINDOW` seconds ago is not taken back.
* **Repeat-one**: nothing but the elapsed time falling back near 0 on the same queue item
  marks the wrap, with the queue's ``repeat_mode`` ``one``. The position is passed on and the
  tracker starts a new play; without repeat-one, a fall back is not passed on (the position is
  left unknown for that report), so it cannot start a new play.
* **A pause longer than ~30 s shows as idle**, the item kept: the same queue item is the same
  play, and a resume continues it. An unavailable player counts as idle.
* MA's own ``seconds_played`` (``media_item_played``) is not used: it overstates (stale
  positions at a play start, seeks, reports after the fact). Listening time comes from the
  wall clock while the player plays; positions show repeats (and bound a gap when no
  monotonic clock is given).

The item's metadata follows what the player shows and adds what the library knows, as the
now-playing sensor does (that logic is repeated here in small: this module needs no Home
Assistant). Only tracks are named: radio, podcasts and audiobooks are not scrobbled.
Nothing here reads a clock: ``now`` comes with every call.
"""

from dataclasses import dataclass
from typing import Final

from music_assistant_models.enums import MediaType, PlaybackState, RepeatMode
from music_assistant_models.media_items import Album
from music_assistant_models.player import Player, PlayerMedia
from music_assistant_models.player_queue import PlayerQueue
from music_assistant_models.queue_item import QueueItem

from .lastfm.models import Track
from .scrobbling.models import PlaybackSnapshot, PlaybackState as TrackerState
from .scrobbling.tracker import RESTART_WINDOW

# How long a playing player may report no media before that counts (seconds).
NO_MEDIA_GRACE: Final = 5.0
# How long after a change of item the previous item is not taken back (seconds).
FLICKER_WINDOW: Final = 4.0

_STATES: Final = {
    PlaybackState.PLAYING: TrackerState.PLAYING,
    PlaybackState.PAUSED: TrackerState.PAUSED,
}


@dataclass(slots=True)
class _Seen:
    """What the adapter remembers of one player."""

    item: QueueItem | None = None  # the queue item of the current media, as seen last
    identity: tuple[str, str] | None = None  # (item id, uri) of the last snapshot
    previous: tuple[str, str] | None = None  # the identity before, until FLICKER_WINDOW
    # times below are on the adapter's clock: monotonic when given, else the wall clock
    changed_at: float = 0.0  # when the identity last changed
    no_media_since: tuple[float, float | None, float] | None = None  # (wall, monotonic, clock)
    position: float | None = None  # the last position passed on
    position_at: float = 0.0  # ... and its time
    playing: bool = False  # whether the last snapshot was playing


class MusicAssistantPlayback:
    """Snapshots of the players of one Music Assistant server."""

    def __init__(self) -> None:
        """Remember nothing yet."""
        self._seen: dict[str, _Seen] = {}

    def forget(self, player_id: str) -> None:
        """Drop what is remembered of a player (removed, or its server is gone)."""
        self._seen.pop(player_id, None)

    def snapshot(
        self,
        player: Player,
        queue: PlayerQueue | None,
        now: float,
        monotonic: float | None = None,
    ) -> PlaybackSnapshot | None:
        """Return what ``player`` does at ``now``; None when the report is to be ignored.

        ``queue`` is the player's active queue (``client.player_queues.get(player.active_source)``)
        as the client keeps it after the event. ``now`` is the wall clock (UTC epoch seconds,
        as the server stamps elapsed times); ``monotonic`` the same moment on a clock that
        never jumps, passed on to the tracker and used for the windows here when given.
        """
        clock = now if monotonic is None else monotonic
        seen = self._seen.get(player.player_id)
        if seen is None:
            seen = self._seen[player.player_id] = _Seen()
        # an unavailable player is not heard, whatever state it last reported
        state = _STATES.get(player.playback_state, TrackerState.IDLE)
        if not player.available:
            state = TrackerState.IDLE
        media = player.current_media
        if media is None:
            return self._no_media(seen, player.player_id, state, (now, monotonic, clock))
        seen.no_media_since = None
        identity = (media.queue_item_id or media.uri, media.uri)
        if identity == seen.previous and 0 <= clock - seen.changed_at < FLICKER_WINDOW:
            return None
        seen.item = queue_item(media, queue, seen.item)
        position = _position(media, queue, seen.item, state, now)
        if (
            identity == seen.identity
            and not (queue is not None and queue.repeat_mode is RepeatMode.ONE)
            and _fell_back(seen, position, clock)
        ):
            position = None
        snapshot = PlaybackSnapshot(
            player.player_id,
            now,
            state,
            item_id=identity[0],
            uri=media.uri,
            track=_track(media, seen.item),
            position=position,
            monotonic=monotonic,
        )
        return self._remember(seen, snapshot, clock)

    def _no_media(
        self,
        seen: _Seen,
        player_id: str,
        state: TrackerState,
        moment: tuple[float, float | None, float],
    ) -> PlaybackSnapshot | None:
        """A report without media: skipped for a moment while playing after media."""
        if state is not TrackerState.PLAYING or seen.identity is None:
            nothing = PlaybackSnapshot(player_id, moment[0], state, monotonic=moment[1])
            return self._remember(seen, nothing, moment[2])
        if seen.no_media_since is None:
            seen.no_media_since = moment
        since = seen.no_media_since
        if 0 <= moment[2] - since[2] < NO_MEDIA_GRACE:
            return None
        nothing = PlaybackSnapshot(player_id, since[0], state, monotonic=since[1])
        return self._remember(seen, nothing, since[2])

    @staticmethod
    def _remember(seen: _Seen, snapshot: PlaybackSnapshot, clock: float) -> PlaybackSnapshot:
        """Keep what the next report is compared with."""
        identity = (snapshot.item_id, snapshot.uri or "") if snapshot.item_id is not None else None
        if identity != seen.identity:
            seen.previous, seen.identity = seen.identity, identity
            seen.changed_at = clock
        if snapshot.position is not None:
            seen.position, seen.position_at = snapshot.position, clock
        seen.playing = snapshot.state is TrackerState.PLAYING
        return snapshot


def queue_item(
    media: PlayerMedia, queue: PlayerQueue | None, remembered: QueueItem | None
) -> QueueItem | None:
    """The queue item of the player's media: the queue's current one, or the one seen last.

    The queue and the player are updated separately: around a play start or a track change the
    queue's current item is missing or already the next one.
    """
    if media.queue_item_id is None:
        return None
    current = queue.current_item if queue is not None else None
    for candidate in (current, remembered):
        if candidate is not None and candidate.queue_item_id == media.queue_item_id:
            return candidate
    return None


def _position(
    media: PlayerMedia,
    queue: PlayerQueue | None,
    item: QueueItem | None,
    state: TrackerState,
    now: float,
) -> float | None:
    """Seconds into the item at ``now``: the queue's elapsed time when it is about the item.

    Both the queue and the player's media give an elapsed time and when it was taken; while
    playing, the position runs on from there.
    """
    if (
        queue is not None
        and item is not None
        and queue.current_item is not None
        and queue.current_item.queue_item_id == item.queue_item_id
    ):
        elapsed, updated = float(queue.elapsed_time), queue.elapsed_time_last_updated
        running = queue.state is PlaybackState.PLAYING
    elif media.elapsed_time is not None and media.elapsed_time_last_updated is not None:
        elapsed, updated = float(media.elapsed_time), media.elapsed_time_last_updated
        running = state is TrackerState.PLAYING
    else:
        return None
    return elapsed + (max(0.0, now - updated) if running else 0.0)


def _fell_back(seen: _Seen, position: float | None, clock: float) -> bool:
    """Whether the position fell from well past the start back near it."""
    if position is None or seen.position is None or position > RESTART_WINDOW:
        return False
    expected = seen.position + (max(0.0, clock - seen.position_at) if seen.playing else 0.0)
    return expected - position >= RESTART_WINDOW


def _track(media: PlayerMedia, item: QueueItem | None) -> Track | None:
    """What Last.fm is told of the item; None when it is not a track with artist and title."""
    if media.media_type not in (MediaType.TRACK, MediaType.UNKNOWN):
        return None
    title, artist, album = media.title, media.artist, media.album
    album_artist, duration = media.album_artist, media.duration
    track_number = mbid = None
    library = item.media_item if item is not None else None
    if library is not None:
        if library.media_type is not MediaType.TRACK:
            return None
        title = title or library.name
        artist = artist or getattr(library, "artist_str", None) or None
        library_album = getattr(library, "album", None)
        album = album or (library_album.name if library_album is not None else None)
        if album_artist is None and isinstance(library_album, Album):
            album_artist = library_album.artist_str or None
        duration = duration or (item.duration if item is not None else None)
        duration = duration or getattr(library, "duration", None) or None
        track_number = getattr(library, "track_number", None) or None
        mbid = library.mbid
    if not title or not artist:
        return None
    return Track(
        artist=artist,
        title=title,
        album=album or None,
        album_artist=album_artist or None,
        track_number=track_number,
        duration=round(duration) if duration else None,
        mbid=mbid,
    )
