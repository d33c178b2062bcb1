"""Benchmarks of the play tracker: CPU per playback event.

A Music Assistant server pushes a few events per track and player (bursts at a start, a skip or
a stop; nothing while a track plays on), and each one becomes a snapshot for the tracker. The
figures are the tracker's own work per event, and the adapter's and tracker's together on the
events of the real server's recordings (the client's parsing of the JSON not counted).
"""

from collections.abc import Callable
import itertools
from typing import Final

from music_assistant_models.player import Player
from music_assistant_models.player_queue import PlayerQueue

from custom_components.scrobbler.lastfm.models import Track
from custom_components.scrobbler.music_assistant_playback import MusicAssistantPlayback
from custom_components.scrobbler.scrobbling.models import PlaybackSnapshot, PlaybackState
from custom_components.scrobbler.scrobbling.tracker import PlayTracker
from tests.fakes.music_assistant_recordings import RECORDING_NAMES, Recording

from .harness import Figure, Samples, Settings, benchmark, time_calls

T0: Final = 1_800_000_000.0
PLAYERS: Final = 50
TRACK: Final = Track("Artist", "Title", "Album", "Artist", 1, 3600)
RECORDINGS: Final = (*RECORDING_NAMES, "long_pause")

type Event = tuple[Player, PlayerQueue | None, float]


def _snapshots(items: int) -> Callable[[], PlaybackSnapshot]:
    """Snapshots of player p0, 0.1 s apart, cycling through ``items`` items."""
    ticks = itertools.count()

    def next_snapshot() -> PlaybackSnapshot:
        tick = next(ticks)
        item = f"q{tick % items}"
        return PlaybackSnapshot(
            "p0",
            T0 + tick / 10,
            PlaybackState.PLAYING,
            item_id=item,
            uri=f"library://track/{item}",
            track=TRACK,
            position=(tick / 10) % 3600,
            monotonic=tick / 10,
        )

    return next_snapshot


def _observe(items: int) -> Callable[[], object]:
    tracker = PlayTracker()
    next_snapshot = _snapshots(items)
    return lambda: tracker.observe(next_snapshot())


def _tick_many() -> Callable[[], object]:
    """A tick with PLAYERS players playing (none due: each credits and moves on)."""
    tracker = PlayTracker()
    for index in range(PLAYERS):
        tracker.observe(
            PlaybackSnapshot(
                f"p{index}",
                T0,
                PlaybackState.PLAYING,
                item_id="q",
                uri="u",
                track=TRACK,
                position=0,
                monotonic=0,
            )
        )
    seconds = itertools.count(1)

    def tick() -> object:
        second = next(seconds) / 1000
        return tracker.tick(T0 + second, second)

    return tick


def recorded_events() -> list[list[Event]]:
    """Each recording's playback events as the client holds them: (player, queue, time)."""
    sessions = []
    for name in RECORDINGS:
        recording = Recording(name)
        t0 = recording.wall_clock_at_t0
        results = recording.initial_results()
        players = {data["player_id"]: Player.from_dict(data) for data in results["players/all"]}
        queues = {
            data["queue_id"]: PlayerQueue.from_dict(data) for data in results["player_queues/all"]
        }
        events: list[Event] = []
        for frame in recording.pushed_frames():
            event = frame.message or {}
            kind, object_id, data = event.get("event"), event.get("object_id"), event.get("data")
            now = t0 + frame.t
            if kind == "player_updated":
                players[object_id] = Player.from_dict(data)
            elif kind == "queue_updated":
                queues[object_id] = PlayerQueue.from_dict(data)
            elif kind == "queue_time_updated" and (queue := queues.get(object_id)):
                queue.elapsed_time, queue.elapsed_time_last_updated = float(data), now
            else:
                continue
            events.extend(
                (player, queues.get(player.active_source or ""), now) for player in players.values()
            )
        sessions.append(events)
    return sessions


def _replay(sessions: list[list[Event]]) -> Callable[[], object]:
    def replay() -> None:
        for events in sessions:
            adapter, tracker = MusicAssistantPlayback(), PlayTracker()
            for player, queue, now in events:
                snapshot = adapter.snapshot(player, queue, now, now - T0)
                if snapshot is not None:
                    tracker.observe(snapshot)

    return replay


def per_event(samples: Samples, events: int) -> Samples:
    """Samples of a run of ``events`` events, as time per event."""
    return Samples(tuple(ns / events for ns in samples.ns_per_op), samples.calls_per_sample)


@benchmark("scrobbling.tracker", "play tracker: CPU per playback event")
def bench_tracker(settings: Settings) -> list[Figure]:
    """The tracker's work per snapshot and tick; adapter and tracker on recorded events."""
    sessions = recorded_events()
    count = sum(len(events) for events in sessions)
    replayed = time_calls(_replay(sessions), settings, samples=200, warmup=5)
    return [
        Figure("observe(): a report that changes nothing", time_calls(_observe(1), settings)),
        Figure("observe(): a new item (skip)", time_calls(_observe(2), settings)),
        Figure(f"tick() with {PLAYERS} players playing", time_calls(_tick_many(), settings)),
        Figure(
            "adapter + tracker, per recorded event",
            per_event(replayed, count),
            note=f"{count} events of {len(sessions)} recordings",
        ),
    ]
