"""The play tracker against a model of what was really heard, on random sessions.

Two players play, pause, resume, stop, seek, skip to new items, repeat one, go away and come
back, while the wall clock jumps back and forth (and, for a source without a monotonic clock,
without jumps). The model keeps the truth on the real
(monotonic) clock: which plays there were, when each started on the wall clock, and how long
each was really heard. A timer calls the tracker's ``tick`` when ``next_due`` says, as the
integration does. Whatever happens: a play heard less than its threshold is never qualified;
one heard enough is qualified exactly once, as soon as it is (at the latest by the end of the
step that made it so), with its start time (within 1 s); "now playing" is said at each start
and on each resume after a stop of 5 minutes or more, and nowhere else.
"""

from dataclasses import dataclass

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from custom_components.scrobbler.lastfm.models import Track
from custom_components.scrobbler.scrobbling.models import (
    Decision,
    NowPlaying,
    PlaybackSnapshot,
    PlaybackState,
    TrackerOptions,
)
from custom_components.scrobbler.scrobbling.tracker import (
    RESTART_WINDOW,
    RESUME_ANNOUNCE_AFTER,
    PlayTracker,
)

from .helpers import (
    MODEL_SETTINGS,
    T0,
    Announcement,
    ModelPlay,
    check_announcements,
    check_plays,
    qualified_play,
)

PLAYERS = ("p1", "p2")
DURATIONS = st.sampled_from([None, 20, 30, 31, 45, 60, 200, 481, 600])
OPTIONS = TrackerOptions()


@dataclass
class ModelPlayer:
    """A player as it really is."""

    item: str | None = None
    duration: int | None = None
    state: str = "idle"  # playing, paused, idle, gone
    position: float = 0.0
    repeat: bool = False
    play: ModelPlay | None = None
    stopped_since: float | None = None  # real time it last stopped playing


class TrackerModel(RuleBasedStateMachine):
    """Random sessions, the tracker and the truth side by side."""

    # Whether the snapshots carry the monotonic clock (as the integration's do).
    monotonic = True

    def __init__(self) -> None:
        super().__init__()
        self.tracker = PlayTracker(OPTIONS)
        self.t = 0.0  # the real (monotonic) clock
        self.offset = T0  # wall clock = offset + t
        self.players = {name: ModelPlayer() for name in PLAYERS}
        self.plays: list[ModelPlay] = []
        self.items = 0
        self.timer_at: float | None = None  # real time the tick timer fires
        self.now_playing: list[Announcement] = []
        self.expected_now_playing: list[Announcement] = []

    @property
    def wall(self) -> float:
        return self.offset + self.t

    # --- talking to the tracker -----------------------------------------------------------

    def observe(self, name: str) -> None:
        model = self.players[name]
        state = {
            "playing": PlaybackState.PLAYING,
            "paused": PlaybackState.PAUSED,
        }.get(model.state, PlaybackState.IDLE)
        item = model.item
        snapshot = PlaybackSnapshot(
            name,
            self.wall,
            state,
            item_id=item,
            uri=None if item is None else f"library://track/{item}",
            track=None if item is None else Track("Artist", item, duration=model.duration),
            position=None if item is None else model.position,
            monotonic=self.t if self.monotonic else None,
        )
        self.take(self.tracker.observe(snapshot))

    def take(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            play = decision.play
            if isinstance(decision, NowPlaying):
                self.now_playing.append(
                    ((play.player_id, play.item_id), play.started_at, decision.resumed)
                )
                continue
            truth = qualified_play(self.plays, decision)
            assert truth.qualified == 1, f"{truth} qualified twice"
        due = self.tracker.next_due()
        self.timer_at = None if due is None else self.t + (due - self.wall)
        if self.timer_at is not None and self.timer_at <= self.t:
            self.take(self.tracker.tick(*self.now))

    @property
    def now(self) -> tuple[float, float | None]:
        """The wall clock, and the monotonic one when the snapshots carry it."""
        return self.wall, self.t if self.monotonic else None

    def start_play(self, name: str) -> None:
        model = self.players[name]
        assert model.item is not None
        model.play = ModelPlay(name, model.item, self.wall, OPTIONS.threshold(model.duration))
        self.plays.append(model.play)
        self.expected_now_playing.append(((name, model.item), self.wall, False))

    # --- time -----------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        for model in self.players.values():
            if model.state == "playing":
                model.position += seconds
                assert model.play is not None
                model.play.listened += seconds
        self.t += seconds

    def next_end(self) -> tuple[float, str] | None:
        ends = [
            (self.t + model.duration - model.position, name)
            for name, model in self.players.items()
            if model.state == "playing" and model.duration is not None
        ]
        return min(ends, default=None)

    def end_of_track(self, name: str) -> None:
        model = self.players[name]
        assert model.duration is not None
        model.position = float(model.duration)
        if model.repeat:
            assert model.play is not None
            if model.play.counts:
                self.start_play(name)
            model.position = 0.0
        else:
            model.state = "idle"
            model.stopped_since = self.t
        self.observe(name)

    @rule(seconds=st.one_of(st.integers(1, 120), st.sampled_from([240, 299, 300, 301, 1000])))
    def wait(self, seconds: int) -> None:
        target = self.t + seconds
        while True:
            end = self.next_end()
            timer = self.timer_at
            if timer is not None and timer <= target and (end is None or timer <= end[0]):
                self.advance(timer - self.t)
                self.take(self.tracker.tick(*self.now))
            elif end is not None and end[0] <= target:
                self.advance(end[0] - self.t)
                self.end_of_track(end[1])
            else:
                self.advance(target - self.t)
                return

    @precondition(lambda self: self.monotonic)
    @rule(seconds=st.integers(-86_400, 86_400))
    def jump_the_wall_clock(self, seconds: int) -> None:
        self.offset += seconds

    # --- what a user does -----------------------------------------------------------------

    @rule(name=st.sampled_from(PLAYERS), duration=DURATIONS, repeat=st.booleans())
    def play_new_item(self, name: str, duration: int | None, repeat: bool) -> None:
        """A new item (a skip, a track change, a new queue) starts playing."""
        model = self.players[name]
        self.items += 1
        model.item, model.duration, model.repeat = f"i{self.items}", duration, repeat
        model.state, model.position, model.stopped_since = "playing", 0.0, None
        self.start_play(name)
        self.observe(name)

    @rule(name=st.sampled_from(PLAYERS))
    def pause(self, name: str) -> None:
        model = self.players[name]
        if model.state == "playing":
            model.state, model.stopped_since = "paused", self.t
            self.observe(name)

    @rule(name=st.sampled_from(PLAYERS))
    def stop(self, name: str) -> None:
        model = self.players[name]
        if model.state in {"playing", "paused"}:
            if model.state == "playing":
                model.stopped_since = self.t
            model.state = "idle"
            self.observe(name)

    @rule(name=st.sampled_from(PLAYERS))
    def resume(self, name: str) -> None:
        """Play on (after a pause, a stop, or coming back after going away)."""
        model = self.players[name]
        at_end = model.duration is not None and model.position >= model.duration
        if model.state == "playing" or model.item is None or at_end:
            return
        assert model.play is not None
        stopped = model.stopped_since
        if stopped is not None and self.t - stopped >= RESUME_ANNOUNCE_AFTER:
            self.expected_now_playing.append(((name, model.item), model.play.start, True))
        model.state, model.stopped_since = "playing", None
        self.observe(name)

    @rule(
        name=st.sampled_from(PLAYERS),
        how=st.sampled_from(["pause", "stop", "go_away"]),
        seconds=st.sampled_from([60, 299, 300, 301, 900]),
    )
    def take_a_break(self, name: str, how: str, seconds: int) -> None:
        """Stop playing for a while (around the time after which a resume is announced)."""
        getattr(self, how)(name)
        self.wait(seconds)
        self.resume(name)

    @rule(name=st.sampled_from(PLAYERS), data=st.data())
    def seek(self, name: str, data: st.DataObject) -> None:
        model = self.players[name]
        if model.item is None or model.state == "gone":
            return
        target = float(data.draw(st.integers(0, (model.duration or 1000) - 1)))
        assert model.play is not None
        back_to_start = target <= RESTART_WINDOW and model.position - target >= RESTART_WINDOW
        if model.state == "playing" and back_to_start and model.play.counts:
            model.position = target
            self.start_play(name)
        model.position = target
        self.observe(name)

    @rule(name=st.sampled_from(PLAYERS))
    def toggle_repeat_one(self, name: str) -> None:
        self.players[name].repeat = not self.players[name].repeat

    @rule(name=st.sampled_from(PLAYERS))
    def clear(self, name: str) -> None:
        """The queue is cleared: nothing is loaded."""
        model = self.players[name]
        if model.state == "gone":
            return
        if model.state == "playing":
            model.stopped_since = self.t
        model.item, model.play, model.state, model.position = None, None, "idle", 0.0
        self.observe(name)

    @rule(name=st.sampled_from(PLAYERS))
    def go_away(self, name: str) -> None:
        """The player disconnects (or Home Assistant stops): it is no longer heard."""
        model = self.players[name]
        if model.state == "gone":
            return
        if model.state == "playing":
            model.stopped_since = self.t
        model.state = "gone"
        self.take(self.tracker.player_gone(name, *self.now))

    @rule(name=st.sampled_from(PLAYERS))
    def report_again(self, name: str) -> None:
        """A report that changes nothing (the source sends many)."""
        if self.players[name].state != "gone":
            self.observe(name)

    # --- what must hold -------------------------------------------------------------------

    @invariant()
    def every_play_heard_enough_is_qualified_once(self) -> None:
        check_plays(self.plays)

    @invariant()
    def now_playing_at_each_start_and_late_resume(self) -> None:
        check_announcements(self.now_playing, self.expected_now_playing)


class WallClockOnlyModel(TrackerModel):
    """The same, from a source without a monotonic clock (whose wall clock does not jump)."""

    monotonic = False


TrackerModel.TestCase.settings = MODEL_SETTINGS
WallClockOnlyModel.TestCase.settings = settings(MODEL_SETTINGS, max_examples=100)
test_tracker_model = TrackerModel.TestCase
test_wall_clock_only_model = WallClockOnlyModel.TestCase
