"""A recording of a real Music Assistant server, replayed through the adapter and the tracker.

The players and queues are kept as music-assistant-client keeps them (its event handlers in
small: a player or queue event replaces the object, ``queue_time_updated`` sets the queue's
elapsed time and stamps it with the time of receipt). After every event the player concerned
is snapshotted, and the tracker's ticks fire when they are due, as a timer would. Times are the
recording's: its ``wall_clock_at_t0`` plus the recorder's ``t`` on the wall clock, and the
recorder's ``t`` itself as the monotonic clock.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from music_assistant_models.player import Player
from music_assistant_models.player_queue import PlayerQueue

from custom_components.scrobbler.music_assistant_playback import MusicAssistantPlayback
from custom_components.scrobbler.scrobbling.models import Decision
from custom_components.scrobbler.scrobbling.tracker import PlayTracker
from tests.fakes.music_assistant_recordings import Recording

PLAYER_EVENTS = ("player_added", "player_updated")
QUEUE_EVENTS = ("queue_added", "queue_updated")


@dataclass(frozen=True)
class Decided:
    """A decision, and when (recorder time) it was made."""

    t: float
    decision: Decision


class Replay:
    """Feeds one recording's events to the adapter and the tracker."""

    def __init__(self, name: str, extra: Sequence[tuple[float, dict[str, Any]]] = ()) -> None:
        """Read the recording and its initial state; ``extra`` events go in at their ``t``."""
        self.recording = Recording(name)
        self.extra = sorted(extra, key=lambda pair: pair[0])
        self.t0 = self.recording.wall_clock_at_t0
        results = self.recording.initial_results()
        self.players = {
            data["player_id"]: Player.from_dict(data) for data in results["players/all"]
        }
        self.queues = {
            data["queue_id"]: PlayerQueue.from_dict(data) for data in results["player_queues/all"]
        }
        self.adapter = MusicAssistantPlayback()
        self.tracker = PlayTracker()
        self.decided: list[Decided] = []

    def run(self) -> list[Decided]:
        """Replay everything; return the decisions in order."""
        start = self.t0 + self.recording.handshake_done
        for player in self.players.values():
            self._observe(player, start)
        frames = [(frame.t, frame.message) for frame in self.recording.pushed_frames()]
        for t, message in sorted([*frames, *self.extra], key=lambda pair: pair[0]):
            now = self.t0 + t
            self._tick_until(now)
            if message is None:  # the server closed the connection
                self._all_gone(now)
            else:
                self._event(message, now)
        end = self.t0 + float(self.recording.records[-1]["t"])
        self._tick_until(end)
        self._all_gone(end)
        return self.decided

    def _event(self, event: dict[str, Any], now: float) -> None:
        kind, object_id, data = event["event"], event["object_id"], event["data"]
        if kind in PLAYER_EVENTS:
            self.players[object_id] = Player.from_dict(data)
            self._observe(self.players[object_id], now)
        elif kind in QUEUE_EVENTS:
            self.queues[object_id] = PlayerQueue.from_dict(data)
            self._observe_queue(object_id, now)
        elif kind == "queue_time_updated" and (queue := self.queues.get(object_id)):
            queue.elapsed_time = float(data)
            queue.elapsed_time_last_updated = now
            self._observe_queue(object_id, now)

    def _observe_queue(self, queue_id: str, now: float) -> None:
        for player in self.players.values():
            if player.active_source == queue_id:
                self._observe(player, now)

    def _observe(self, player: Player, now: float) -> None:
        queue = self.queues.get(player.active_source) if player.active_source else None
        snapshot = self.adapter.snapshot(player, queue, now, now - self.t0)
        if snapshot is not None:
            self._record(now, self.tracker.observe(snapshot))

    def _tick_until(self, now: float) -> None:
        while (due := self.tracker.next_due()) is not None and due <= now:
            self._record(due, self.tracker.tick(due, due - self.t0))

    def _all_gone(self, now: float) -> None:
        for player_id in self.players:
            self._record(now, self.tracker.player_gone(player_id, now, now - self.t0))

    def _record(self, now: float, decisions: list[Decision]) -> None:
        self.decided.extend(Decided(round(now - self.t0, 3), decision) for decision in decisions)
