"""Players, queues and tracks of the fake Music Assistant server, and how they play.

Everything is built from the real `music_assistant_models` classes. `FakePlayer` is a pure state
machine: each playback step returns the events a real server pushes for it, in the order and with
the quirks of the recordings in `tests/fixtures/music_assistant/` (no position ticks while playing,
`current_media` null right after a play start, stale elapsed times after a start or a skip,
`media_item_played` reports that overstate `seconds_played`, the last track reported twice).
Time is virtual: `advance()` moves the play position; nothing here sleeps.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
import time
from typing import Any
import uuid

from music_assistant_models.enums import (
    EventType,
    ExternalID,
    MediaType,
    PlaybackState,
    PlayerFeature,
    PlayerType,
)
from music_assistant_models.event import MassEvent
from music_assistant_models.media_items import ItemMapping, ProviderMapping, Track
from music_assistant_models.playback_progress_report import MediaItemPlaybackProgressReport
from music_assistant_models.player import DeviceInfo, Player, PlayerMedia, PlayerSource
from music_assistant_models.player_queue import PlayerQueue
from music_assistant_models.queue_item import QueueItem
from music_assistant_models.unique_list import UniqueList

# The player of the recordings: a squeezelite player wrapped by the universal player provider.
RECORDED_PLAYER_ID = "up000000000001"
RECORDED_PLAYER_NAME = "Harness Squeezelite"
PLAYER_PROVIDER = "universal_player"

# How the real server behaves, in seconds of play (see the recordings' README).
PROGRESS_REPORT_INTERVAL = 30  # a `media_item_played` with is_playing true every 30 s of play
BUFFER_AHEAD = 10  # the next track is buffered ~10 s before the end: one mid-track update
AUTO_CLEAR_DELAY = 5  # a queue that played to its end is cleared 5 s later
SEEK_THRESHOLD = 2  # `queue_time_updated` only when elapsed jumps by more than 2 s
CORRECTION_DELAY = 0.75  # a stale elapsed time is corrected ~0.75 s after it was sent


def make_track(
    item_id: str,
    name: str,
    artist: str,
    album: str,
    duration: int,
    *,
    mbid: str | None = None,
    media_type: MediaType = MediaType.TRACK,
) -> Track:
    """Return a library track as the server's library holds it."""
    track = Track(
        item_id=item_id,
        provider="library",
        name=name,
        duration=duration,
        media_type=media_type,
        provider_mappings={
            ProviderMapping(
                item_id=f"{artist}/{album}/{name}.flac",
                provider_domain="filesystem_local",
                provider_instance="filesystem_local--fake",
                in_library=True,
            )
        },
        artists=UniqueList(
            [
                ItemMapping(
                    item_id=f"artist-{artist}",
                    provider="library",
                    name=artist,
                    media_type=MediaType.ARTIST,
                )
            ]
        ),
        album=ItemMapping(
            item_id=f"album-{album}", provider="library", name=album, media_type=MediaType.ALBUM
        ),
    )
    if mbid is not None:
        track.add_external_id(ExternalID.MB_RECORDING, mbid)
    return track


# The library of the recorded server (local files, no artwork, no MusicBrainz ids).
PINK_BREEZE = make_track("1", "Pink Breeze", "Harness Tones", "Second Wind", 50)
SINE_AT_DAWN = make_track("2", "Sine at Dawn", "Harness Tones", "First Light", 75)
SQUARE_NOON = make_track("3", "Square Noon", "Harness Tones", "First Light", 60)
HERTZ_127 = make_track("4", "127 Hertz", "Loopback Quartet", "Localhost Suite", 90)
PORT_8095 = make_track("5", "Port 8095", "Loopback Quartet", "Localhost Suite", 80)
RECORDED_LIBRARY = (PINK_BREEZE, SINE_AT_DAWN, SQUARE_NOON, HERTZ_127, PORT_8095)


def _event(event: EventType, object_id: str, data: Any) -> MassEvent:
    return MassEvent(event=event, object_id=object_id, data=data)


@dataclass
class FakePlayer:
    """One player with its queue, playing in virtual time.

    Every step returns the list of events the real server pushes for it. Steps that the real
    server spreads over ~1.5-3 s (a play start, a skip) are split in two: `play()` / `next()`
    return the immediate burst, `media_ready()` the settling updates that follow.
    """

    player_id: str
    name: str
    user_id: str | None = None
    available: bool = True
    enabled: bool = True
    expose_to_ha: bool = True
    flicker: bool = True  # `current_media` null for a moment at play start, as recorded
    clock: Callable[[], float] = time.time
    items: list[QueueItem] = field(default_factory=list)
    index: int | None = None
    state: PlaybackState = PlaybackState.IDLE
    position: float = 0.0  # seconds played of the current item (virtual time)
    queue_elapsed: float = 0.0  # the queue's elapsed time as last announced
    queue_elapsed_at: float = 0.0
    player_elapsed: float | None = None  # the player's elapsed time as last announced
    player_elapsed_at: float | None = None
    media: PlayerMedia | None = None  # the player's current media as last announced
    in_buffer: int | None = None
    ended_for: float | None = None  # seconds idle since the end of the queue (auto-clear)
    last_report: MediaItemPlaybackProgressReport | None = None
    stop_report: MediaItemPlaybackProgressReport | None = None
    _settle: Callable[[float], list[MassEvent]] | None = None

    def __post_init__(self) -> None:
        """Stamp the initial elapsed time."""
        self.queue_elapsed_at = self.clock()

    # ------------------------------------------------------------------ models
    def player_model(self) -> Player:
        """Return the `Player` as the server announces it now."""
        playing = self.state != PlaybackState.IDLE
        return Player(
            player_id=self.player_id,
            provider=PLAYER_PROVIDER,
            type=PlayerType.PLAYER,
            name=self.name,
            available=self.available,
            enabled=self.enabled,
            expose_to_ha=self.expose_to_ha,
            device_info=DeviceInfo(model="FakeSqueezelite", manufacturer="squeezeplay"),
            supported_features={PlayerFeature.PAUSE, PlayerFeature.VOLUME_SET},
            playback_state=self.state,
            elapsed_time=self.player_elapsed if playing else None,
            elapsed_time_last_updated=self.player_elapsed_at if playing else None,
            powered=True,
            volume_level=20,
            active_source=self.player_id,
            source_list=UniqueList(
                [
                    PlayerSource(
                        id=self.player_id,
                        name="Music Assistant Queue",
                        can_play_pause=True,
                        can_seek=True,
                        can_next_previous=True,
                    )
                ]
            ),
            current_media=self.media,
            icon="mdi-speaker",
        )

    def queue_model(
        self, *, hide_current: bool = False, next_is_current: bool = False
    ) -> PlayerQueue:
        """Return the `PlayerQueue` as the server announces it now."""
        current = None if hide_current or self.index is None else self.items[self.index]
        following = self._item(self.index + 1) if self.index is not None else None
        # the next item is announced once the current one really plays
        hide_next = hide_current or self.state == PlaybackState.IDLE
        return PlayerQueue(
            queue_id=self.player_id,
            active=True,
            display_name=self.name,
            available=self.available,
            items=len(self.items),
            current_index=None if hide_current else self.index,
            index_in_buffer=self.in_buffer,
            elapsed_time=self.queue_elapsed,
            elapsed_time_last_updated=self.queue_elapsed_at,
            state=self.state,
            current_item=current,
            next_item=current if next_is_current else (None if hide_next else following),
        )

    @property
    def current_item(self) -> QueueItem | None:
        """Return the queue item being played, if any."""
        return self._item(self.index)

    def _item(self, index: int | None) -> QueueItem | None:
        if index is None or not 0 <= index < len(self.items):
            return None
        return self.items[index]

    def _player_media(self, item: QueueItem, elapsed: float) -> PlayerMedia:
        track = item.media_item
        assert isinstance(track, Track)
        return PlayerMedia(
            uri=track.uri or "",
            media_type=track.media_type,
            title=track.name,
            artist=track.artist_str,
            album=track.album.name if track.album else None,
            duration=track.duration,
            source_id=self.player_id,
            queue_item_id=item.queue_item_id,
            elapsed_time=int(elapsed),
            elapsed_time_last_updated=self.clock(),
        )

    def _report(
        self, item: QueueItem, seconds: float, *, fully: bool, playing: bool
    ) -> MediaItemPlaybackProgressReport:
        track = item.media_item
        assert isinstance(track, Track)
        artists = [artist.name for artist in track.artists]
        report = MediaItemPlaybackProgressReport(
            uri=track.uri or "",
            media_type=track.media_type,
            name=track.name,
            duration=track.duration,
            seconds_played=int(seconds),
            fully_played=fully,
            is_playing=playing,
            mbid=track.mbid,
            artist="/".join(artists),
            artists=artists,
            artist_mbids=[],
            album=track.album.name if track.album else None,
            album_artist=artists[0] if artists else None,
            album_artist_mbids=[],
            version=track.version,
            userid=self.user_id,
        )
        self.last_report = report
        return report

    # ------------------------------------------------------------------ events
    def _player_updated(self) -> MassEvent:
        return _event(EventType.PLAYER_UPDATED, self.player_id, self.player_model().to_dict())

    def _queue_event(self, event: EventType = EventType.QUEUE_UPDATED, **kwargs: bool) -> MassEvent:
        return _event(event, self.player_id, self.queue_model(**kwargs).to_dict())

    def _played(self, report: MediaItemPlaybackProgressReport) -> MassEvent:
        return _event(EventType.MEDIA_ITEM_PLAYED, report.uri, report.to_dict())

    def _announce_queue_elapsed(self, elapsed: float) -> None:
        self.queue_elapsed = float(int(elapsed))
        self.queue_elapsed_at = self.clock()

    def _announce_player_elapsed(self, elapsed: float) -> None:
        self.player_elapsed = round(elapsed, 2)
        self.player_elapsed_at = self.clock()

    def added_events(self) -> list[MassEvent]:
        """Return the events of this player appearing on the server."""
        return [
            _event(EventType.QUEUE_ADDED, self.player_id, self.queue_model().to_dict()),
            _event(EventType.PLAYER_ADDED, self.player_id, self.player_model().to_dict()),
        ]

    def removed_events(self) -> list[MassEvent]:
        """Return the events of this player disappearing from the server."""
        return [_event(EventType.PLAYER_REMOVED, self.player_id, None)]

    def set_available(self, available: bool) -> list[MassEvent]:
        """Make the player (un)available."""
        self.available = available
        return [self._player_updated(), self._queue_event()]

    def show(self, *, enabled: bool, expose_to_ha: bool) -> list[MassEvent]:
        """Enable or disable the player, expose it to Home Assistant or hide it."""
        self.enabled, self.expose_to_ha = enabled, expose_to_ha
        return [self._player_updated()]

    # ------------------------------------------------------------------ playback
    def play(self, tracks: list[Track]) -> list[MassEvent]:
        """Replace the queue with these tracks and start playing (the immediate burst).

        Like the recordings: the queue is rebuilt, the first title shows while idle, then the
        queue turns `playing` without a current item and the player `playing` first with the
        title and then (if `flicker`) with `current_media` null, until `media_ready()`. The
        elapsed times still carry the previous session's position (`stale`).
        """
        if not tracks:
            msg = "play needs at least one track"
            raise ValueError(msg)
        stale = self.position
        self.items = []
        self.index = None
        self.in_buffer = None
        self.ended_for = None
        self._announce_queue_elapsed(0)
        events = [
            self._queue_event(),
            self._queue_event(EventType.QUEUE_ITEMS_UPDATED),
            self._queue_event(),
        ]
        self.items = [
            QueueItem(
                queue_id=self.player_id,
                queue_item_id=uuid.uuid4().hex,
                name=f"{track.artist_str} - {track.name}",
                duration=track.duration,
                media_item=track,
                sort_index=index,
                index=index,
            )
            for index, track in enumerate(tracks)
        ]
        self.in_buffer = 0
        events += [
            self._queue_event(EventType.QUEUE_ITEMS_UPDATED),
            self._queue_event(),
        ]
        first = self.items[0]
        self.media = self._player_media(first, 0)
        events.append(self._player_updated())
        self.index = 0
        events += [self._queue_event()] * 3
        self.state = PlaybackState.PLAYING
        self._announce_queue_elapsed(stale)
        if self.flicker:
            # the queue plays before it knows its current item (the player then shows no title)
            events.append(self._queue_event(hide_current=True))
        if self.stop_report is not None:
            # the previous session ended with a stop: its last item is reported once more
            events.append(self._played(self.stop_report))
            self.stop_report = None
        if self.player_elapsed is None:
            self._announce_player_elapsed(stale)
        events.append(self._player_updated())
        if self.flicker:
            self.media = None
            events.append(self._player_updated())
        self.position = 0.0
        self._settle = lambda elapsed: self._settle_start(first, stale, elapsed)
        return events

    def _settle_start(self, item: QueueItem, stale: float, elapsed: float) -> list[MassEvent]:
        self._announce_queue_elapsed(stale + elapsed)
        events = [self._queue_event()]
        if stale:
            # the stale elapsed is reported as play time of the new item
            events.append(
                self._played(self._report(item, stale + elapsed, fully=False, playing=True))
            )
        self.media = self._player_media(item, stale + elapsed)
        events.append(self._player_updated())
        if stale:
            events += self._correct_elapsed(item, elapsed)
        self.position = elapsed
        return events

    def _correct_elapsed(self, item: QueueItem, elapsed: float) -> list[MassEvent]:
        # the correction of a stale elapsed time comes ~0.75 s after the stale one
        elapsed += CORRECTION_DELAY
        events: list[MassEvent] = []
        if abs(self.queue_elapsed - elapsed) > SEEK_THRESHOLD:
            self._announce_queue_elapsed(elapsed)
            events.append(_event(EventType.QUEUE_TIME_UPDATED, self.player_id, int(elapsed)))
        self._announce_player_elapsed(elapsed)
        events.append(self._player_updated())
        self.media = self._player_media(item, elapsed)
        events.append(self._player_updated())
        self.position = elapsed
        return events

    def media_ready(self, elapsed: float = 1.0) -> list[MassEvent]:
        """Finish a play start or a skip: the updates that follow 1.5-3 s later.

        `elapsed` is how far the new item has really played by then.
        """
        if self._settle is None:
            return []
        settle, self._settle = self._settle, None
        return settle(elapsed)

    def next(self) -> list[MassEvent]:
        """Skip to the next item (the immediate burst; `media_ready()` settles it).

        As recorded: the queue moves on at once with `next_item` equal to the new current item,
        the player shows the new title with the old track's elapsed time; the skipped track's
        `media_item_played` only comes with the settling updates.
        """
        skipped, old_position = self._require_playing(), self.position
        if self._item((self.index or 0) + 1) is None:
            return self.stop()
        self.index = (self.index or 0) + 1
        self._announce_queue_elapsed(0)
        events = [self._queue_event(next_is_current=True)]
        item = self.items[self.index]
        self.media = self._player_media(item, 0)
        events.append(self._player_updated())
        self._announce_player_elapsed(old_position)
        events.append(self._player_updated())
        self.in_buffer = self.index
        events += [self._queue_event(next_is_current=True)] * 4
        self.position = 0.0
        self._settle = lambda elapsed: self._settle_skip(item, skipped, old_position, elapsed)
        return events

    def echo_skipped(self) -> list[MassEvent]:
        """Announce the skipped item once more, as a real server did ~1.4 s after a skip.

        The queue's index goes back to the skipped item and the player shows its title again,
        once; the updates that follow (`media_ready()`) show the new item again.
        """
        if not self.index:
            msg = f"player {self.player_id} skipped nothing"
            raise RuntimeError(msg)
        index, media = self.index, self.media
        self.index -= 1
        self.media = self._player_media(self.items[self.index], self.position)
        events = [self._queue_event(), self._player_updated()]
        self.index, self.media = index, media
        return events

    def _settle_skip(
        self, item: QueueItem, skipped: QueueItem, old_position: float, elapsed: float
    ) -> list[MassEvent]:
        # the queue carries the skipped track's position for a moment, and the report of the
        # skipped track counts the time since the skip as its own
        stale = old_position + elapsed
        self._announce_queue_elapsed(stale + 1)
        events = [
            self._queue_event(),
            self._played(self._report(skipped, stale, fully=False, playing=False)),
        ]
        self.media = self._player_media(item, stale + 1)
        events.append(self._player_updated())
        events += self._correct_elapsed(item, elapsed)
        return events

    def _require_playing(self) -> QueueItem:
        item = self.current_item
        if item is None or self.state == PlaybackState.IDLE:
            msg = f"player {self.player_id} is not playing"
            raise RuntimeError(msg)
        return item

    def pause(self) -> list[MassEvent]:
        """Pause playback."""
        item = self._require_playing()
        self.state = PlaybackState.PAUSED
        self._announce_queue_elapsed(self.position)
        self._announce_player_elapsed(self.position)
        return [
            self._queue_event(),
            self._played(self._report(item, self.position, fully=False, playing=False)),
            self._player_updated(),
        ]

    def resume(self) -> list[MassEvent]:
        """Resume a paused player."""
        self._require_playing()
        self.state = PlaybackState.PLAYING
        self._announce_queue_elapsed(self.position)
        self._announce_player_elapsed(self.position)
        return [self._queue_event(), self._player_updated()]

    def stop(self) -> list[MassEvent]:
        """Stop playback; like the real server, the queue is kept (no auto-clear)."""
        item = self._require_playing()
        self._settle = None
        self._announce_queue_elapsed(self.position)
        events = [self._queue_event()] * 2
        self.state = PlaybackState.IDLE
        events.append(self._queue_event())
        self.stop_report = self._report(item, self.position, fully=False, playing=False)
        events.append(self._played(self.stop_report))
        self.player_elapsed = self.player_elapsed_at = None
        events.append(self._player_updated())
        return events

    def advance(self, seconds: float) -> list[MassEvent]:
        """Let `seconds` of virtual time pass.

        While playing nothing is pushed except what the real server sends: a progress report
        every 30 s of play, one update when the next item is buffered ~10 s before the end,
        the track change (or the end of the queue) and, 5 s after the end, the auto-clear.
        """
        events: list[MassEvent] = []
        while seconds > 0:
            if self.ended_for is not None:
                step = min(seconds, AUTO_CLEAR_DELAY - self.ended_for)
                self.ended_for += step
                seconds -= step
                if self.ended_for >= AUTO_CLEAR_DELAY:
                    events += self._auto_clear()
                continue
            item = self.current_item
            if self.state != PlaybackState.PLAYING or item is None:
                return events
            if self._settle is not None:
                events += self.media_ready()
            duration = float(item.duration or 0)
            marks = [duration - BUFFER_AHEAD, duration]
            marks += range(PROGRESS_REPORT_INTERVAL, int(duration), PROGRESS_REPORT_INTERVAL)
            upcoming = [mark for mark in marks if mark > self.position]
            target = min([*upcoming, self.position + seconds])
            seconds -= target - self.position
            self.position = target
            if target == duration:
                events += self._track_ended(item)
            elif target == duration - BUFFER_AHEAD:
                events += self._buffer_next()
            elif target in marks:
                report = self._report(item, target, fully=False, playing=True)
                events.append(self._played(report))
        return events

    def _buffer_next(self) -> list[MassEvent]:
        events = []
        if self.index is not None and self._item(self.index + 1) is not None:
            self.in_buffer = self.index + 1
            self._announce_queue_elapsed(self.position - 1)
            events.append(self._queue_event())
        self._announce_player_elapsed(self.position - 0.2)
        item = self.current_item
        assert item is not None
        self.media = self._player_media(item, self.position)
        events.append(self._player_updated())
        return events

    def _track_ended(self, item: QueueItem) -> list[MassEvent]:
        duration = self.position
        assert self.index is not None
        if self._item(self.index + 1) is None:
            # end of the queue: idle, the title stays until the auto-clear
            self.state = PlaybackState.IDLE
            self._announce_queue_elapsed(duration - 1)
            self.ended_for = 0.0
            events = [
                self._queue_event(),
                self._played(self._report(item, duration - 1, fully=True, playing=False)),
            ]
            self.media = self._player_media(item, duration - 1)
            self.player_elapsed = self.player_elapsed_at = None
            events.append(self._player_updated())
            return events
        self.index += 1
        following = self.items[self.index]
        self._announce_queue_elapsed(duration)
        events = [
            self._queue_event(),
            self._played(self._report(item, duration - 1, fully=True, playing=False)),
        ]
        # the player shows the new title with the finished track's elapsed time
        self.media = self._player_media(following, duration)
        self._announce_player_elapsed(duration - 0.2)
        events.append(self._player_updated())
        events += self._correct_elapsed(following, 0.25)
        self.position = 0.0  # virtual time: the new track starts where the old one ended
        return events

    def _auto_clear(self) -> list[MassEvent]:
        self.ended_for = None
        self.items, self.index, self.in_buffer = [], None, None
        self.position = 0.0
        self._announce_queue_elapsed(0)
        events = [
            self._queue_event(EventType.QUEUE_ITEMS_UPDATED),
            self._queue_event(),
            self._queue_event(),
        ]
        if self.last_report is not None:
            # the last track is reported (fully played) a second time
            events.append(self._played(self.last_report))
        self.media = None
        events.append(self._player_updated())
        return events
