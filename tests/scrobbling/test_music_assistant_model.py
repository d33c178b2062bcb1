"""Music Assistant reports with the real server's quirks, through the adapter and the tracker.

Random sessions of one player: play starts (with ``current_media: null`` for 1.5 s just after
them), skips (with the skipped item reported once more 1.4 s later), pauses that turn idle,
resumes, plays to the end and repeat-one wraps. Players and queues are the recorded ones
(``long_pause``) with the item, state and elapsed time of the moment. The truth is kept on the
model's clock; whatever the quirks, a play heard less than its threshold is never qualified,
one heard enough is qualified exactly once, on time and with its start, and "now playing" is
said at each start and each late resume only.
"""

import copy
from dataclasses import dataclass

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from music_assistant_models.player import Player
from music_assistant_models.player_queue import PlayerQueue

from custom_components.scrobbler.music_assistant_playback import MusicAssistantPlayback
from custom_components.scrobbler.scrobbling.models import Decision, NowPlaying, TrackerOptions
from custom_components.scrobbler.scrobbling.tracker import RESUME_ANNOUNCE_AFTER, PlayTracker

from .helpers import (
    MODEL_SETTINGS,
    Announcement,
    ModelPlay,
    check_announcements,
    check_plays,
    qualified_play,
)
from .test_music_assistant_playback import _recorded

T = 1_796_188_934.0
PLAYER = "up000000000001"
OPTIONS = TrackerOptions()
NO_MEDIA_AFTER = 0.25  # a play start's report without media comes this much later...
NO_MEDIA_FOR = 1.5  # ... and lasts this long
FLICKER_AFTER = 1.4  # the skipped item is reported once more this long after a skip


@dataclass
class Item:
    number: int
    duration: int

    @property
    def queue_item_id(self) -> str:
        return f"item{self.number}"


class MusicAssistantModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.adapter, self.tracker = MusicAssistantPlayback(), PlayTracker(OPTIONS)
        self.t = 0.0
        self.items = 0
        self.item: Item | None = None
        self.state = "idle"
        self.position = 0.0
        self.repeat = False
        self.play: ModelPlay | None = None
        self.plays: list[ModelPlay] = []
        self.stopped_since: float | None = None
        self.timer_at: float | None = None
        self.said: list[Announcement] = []
        self.expected: list[Announcement] = []

    # --- what the server reports ----------------------------------------------------------

    def report(self, item: Item | None = None, *, media: bool = True) -> None:
        """The player (and its queue) as the client holds them now."""
        item = item or self.item
        assert item is not None
        state = self.state
        player_data = copy.deepcopy(_recorded("player_updated", 7.831))
        player_data["playback_state"] = state
        if media:
            player_data["current_media"].update(
                queue_item_id=item.queue_item_id,
                uri=f"library://track/{item.number}",
                title=f"Track {item.number}",
                duration=item.duration,
            )
        else:
            player_data["current_media"] = None
        queue_data = copy.deepcopy(_recorded("queue_updated", 6.831))
        current = self.item or item
        queue_data.update(
            elapsed_time=self.position,
            elapsed_time_last_updated=T + self.t,
            repeat_mode="one" if self.repeat else "off",
            state=state,
        )
        queue_data["current_item"].update(
            queue_item_id=current.queue_item_id, duration=current.duration
        )
        queue_data["current_item"]["media_item"].update(
            uri=f"library://track/{current.number}", duration=current.duration
        )
        snapshot = self.adapter.snapshot(
            Player.from_dict(player_data), PlayerQueue.from_dict(queue_data), T + self.t, self.t
        )
        if snapshot is not None:
            self.take(self.tracker.observe(snapshot))

    def take(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            play = decision.play
            if isinstance(decision, NowPlaying):
                self.said.append((play.item_id, play.started_at, decision.resumed))
            else:
                qualified_play(self.plays, decision)
        due = self.tracker.next_due()
        self.timer_at = None if due is None else due - T

    # --- time -----------------------------------------------------------------------------

    def advance_to(self, target: float) -> None:
        """Let time pass: the timer fires, tracks end or wrap."""
        while True:
            end = None
            if self.state == "playing" and self.item is not None:
                end = self.t + self.item.duration - self.position
            timer = self.timer_at
            if timer is not None and timer <= target and (end is None or timer <= end):
                self.elapse(timer - self.t)
                self.take(self.tracker.tick(T + self.t, self.t))
            elif end is not None and end <= target:
                self.elapse(end - self.t)
                self.end_of_track()
            else:
                self.elapse(target - self.t)
                return

    def elapse(self, seconds: float) -> None:
        if self.state == "playing":
            self.position += seconds
            assert self.play is not None
            self.play.listened += seconds
        self.t += seconds

    def end_of_track(self) -> None:
        assert self.item is not None
        assert self.play is not None
        if self.repeat:
            if self.play.counts:
                self.start_truth()
            self.position = 0.0
        else:
            self.position = float(self.item.duration)
            self.state, self.stopped_since = "idle", self.t
        self.report()

    def start_truth(self) -> None:
        assert self.item is not None
        item_id, threshold = self.item.queue_item_id, OPTIONS.threshold(self.item.duration)
        self.play = ModelPlay(PLAYER, item_id, T + self.t, threshold)
        self.plays.append(self.play)
        self.expected.append((item_id, T + self.t, False))

    def new_item(self, duration: int) -> Item:
        self.items += 1
        return Item(self.items, duration)

    # --- what a user does -----------------------------------------------------------------

    @rule(duration=st.sampled_from([20, 31, 80, 200, 600]), repeat=st.booleans())
    def play_new_queue(self, duration: int, repeat: bool) -> None:
        """A new queue starts: loaded, playing, then no media for a moment."""
        self.item, self.repeat = self.new_item(duration), repeat
        self.state, self.position = "idle", 0.0
        self.report()
        self.state, self.stopped_since = "playing", None
        self.start_truth()
        self.report()
        self.advance_to(self.t + NO_MEDIA_AFTER)
        self.report(media=False)
        self.advance_to(self.t + NO_MEDIA_FOR)
        if self.state == "playing":
            self.report()

    @rule(duration=st.sampled_from([31, 80, 200, 600]))
    def skip(self, duration: int) -> None:
        """Next: the new item at once, the skipped one reported again a moment later."""
        if self.state != "playing" or self.item is None:
            return
        skipped = self.item
        self.item, self.position = self.new_item(duration), 0.0
        self.start_truth()
        self.report()
        self.advance_to(self.t + FLICKER_AFTER)
        if self.state == "playing":
            self.report(skipped)
            self.report()

    @rule()
    def pause(self) -> None:
        if self.state == "playing":
            self.state, self.stopped_since = "paused", self.t
            self.report()

    @rule()
    def long_pause_turns_idle(self) -> None:
        """The real server shows a pause of more than ~30 s as idle, the item kept."""
        if self.state == "paused":
            self.advance_to(self.t + 31)
            self.state = "idle"
            self.report()

    @rule()
    def resume(self) -> None:
        at_end = self.item is not None and self.position >= self.item.duration
        if self.state == "playing" or self.item is None or at_end:
            return
        assert self.play is not None
        stopped = self.stopped_since
        if stopped is not None and self.t - stopped >= RESUME_ANNOUNCE_AFTER:
            self.expected.append((self.item.queue_item_id, self.play.start, True))
        self.state, self.stopped_since = "playing", None
        self.report()

    @rule()
    def toggle_repeat_one(self) -> None:
        self.repeat = not self.repeat
        if self.item is not None:
            self.report()

    @rule(seconds=st.one_of(st.integers(1, 120), st.sampled_from([299, 300, 301, 900])))
    def wait(self, seconds: int) -> None:
        self.advance_to(self.t + seconds)

    # --- what must hold -------------------------------------------------------------------

    @invariant()
    def every_play_heard_enough_is_qualified_once(self) -> None:
        check_plays(self.plays)

    @invariant()
    def now_playing_at_each_start_and_late_resume(self) -> None:
        check_announcements(self.said, self.expected)


MusicAssistantModel.TestCase.settings = settings(MODEL_SETTINGS, max_examples=100)
test_music_assistant_model = MusicAssistantModel.TestCase
