"""The play tracker, rule by rule: when a play starts, counts, repeats, resumes and ends."""

from dataclasses import replace

import pytest

from custom_components.scrobbler.lastfm.models import Scrobble, Track
from custom_components.scrobbler.scrobbling.models import (
    NowPlaying,
    Play,
    PlayQualified,
    TrackerOptions,
)
from custom_components.scrobbler.scrobbling.tracker import (
    POSITION_SLACK,
    RESUME_ANNOUNCE_AFTER,
    PlayTracker,
)

from .helpers import IDLE, PAUSED, T0, kinds, snap, track


@pytest.fixture
def tracker() -> PlayTracker:
    return PlayTracker()


def test_default_thresholds_are_lastfms() -> None:
    options = TrackerOptions()
    assert (options.percent, options.cap_seconds, options.min_length_seconds) == (50, 240, 30)
    assert options.threshold(None) is None
    assert options.threshold(30) is None  # not longer than 30 s
    assert options.threshold(30.5) == 15.25
    assert options.threshold(31) == 15.5
    assert options.threshold(479) == 239.5
    assert options.threshold(480) == 240
    assert options.threshold(3600) == 240


def test_thresholds_are_options() -> None:
    options = TrackerOptions(percent=90, cap_seconds=600, min_length_seconds=60)
    assert options.threshold(60) is None
    assert options.threshold(100) == 90
    assert options.threshold(1000) == 600


@pytest.mark.parametrize(
    "kwargs",
    [{"percent": 0}, {"percent": 101}, {"cap_seconds": 0}, {"min_length_seconds": -1}],
)
def test_thresholds_that_make_no_sense_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        TrackerOptions(**kwargs)


def test_a_play_qualifies_at_half_its_length(tracker: PlayTracker) -> None:
    assert kinds(tracker.observe(snap(0, position=0))) == [("now", "q1", 0)]
    assert tracker.observe(snap(99.9, position=99.9)) == []
    [qualified] = tracker.observe(snap(100, position=100))
    assert isinstance(qualified, PlayQualified)
    assert qualified.play == Play("p1", "q1", "library://track/q1", track(200), T0)
    assert (qualified.listened, qualified.decided_at) == (100, T0 + 100)
    assert tracker.observe(snap(200, position=200)) == []


@pytest.mark.parametrize(("duration", "needed"), [(31, 15.5), (600, 240), (481, 240)])
def test_lengths_and_the_cap(tracker: PlayTracker, duration: int, needed: float) -> None:
    tracker.observe(snap(0, duration=duration, position=0))
    assert tracker.observe(snap(needed - 0.01, duration=duration, position=needed - 0.01)) == []
    assert kinds(tracker.observe(snap(needed, duration=duration, position=needed))) == [
        ("qualified", "q1", 0)
    ]


@pytest.mark.parametrize("duration", [30, 20, None])
def test_short_or_unknown_length_never_counts(tracker: PlayTracker, duration: int | None) -> None:
    assert kinds(tracker.observe(snap(0, duration=duration))) == [("now", "q1", 0)]
    assert tracker.next_due() is None
    assert tracker.observe(snap(3600, duration=duration)) == []
    assert tracker.tick(T0 + 7200) == []
    assert tracker.observe(snap(7200, IDLE, item=None)) == []


def test_pauses_add_nothing(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    tracker.observe(snap(50, PAUSED, position=50))
    assert tracker.next_due() is None
    assert tracker.observe(snap(1000, PAUSED, position=50)) == []
    # resumed (and announced again after so long): 50 s heard
    assert kinds(tracker.observe(snap(1010, position=50))) == [("again", "q1", 0)]
    assert tracker.observe(snap(1059, position=99)) == []
    assert kinds(tracker.observe(snap(1060, position=100))) == [("qualified", "q1", 0)]


def test_a_seek_forward_adds_nothing(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert tracker.observe(snap(10, position=110)) == []  # sought from 10 to 110
    assert tracker.observe(snap(99, position=199)) == []
    assert kinds(tracker.observe(snap(100, IDLE, position=200))) == [("qualified", "q1", 0)]


def test_a_seek_back_counts_the_time_played_once(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert tracker.observe(snap(60, position=20)) == []  # 60 s heard, back to 20
    assert tracker.observe(snap(99, position=59)) == []
    assert kinds(tracker.observe(snap(100, position=60))) == [("qualified", "q1", 0)]
    # back to 15 again: still the same play, already counted
    assert tracker.observe(snap(101, position=15)) == []
    assert tracker.observe(snap(300, position=200)) == []


def test_back_to_the_start_before_the_threshold_is_the_same_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert tracker.observe(snap(60, position=0)) == []
    assert kinds(tracker.observe(snap(100, position=40))) == [("qualified", "q1", 0)]


def test_a_skip_after_the_threshold_still_counts(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    decisions = tracker.observe(snap(110, item="q2", position=0))
    assert kinds(decisions) == [("qualified", "q1", 0), ("now", "q2", 110)]
    [qualified, _] = decisions
    assert isinstance(qualified, PlayQualified)
    assert qualified.decided_at == T0 + 110


def test_a_skip_before_the_threshold_does_not(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert kinds(tracker.observe(snap(99, item="q2", position=0))) == [("now", "q2", 99)]
    assert kinds(tracker.observe(snap(199, item="q2", position=100))) == [("qualified", "q2", 99)]


def test_repeat_one_starts_a_new_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert kinds(tracker.observe(snap(150, position=150))) == [("qualified", "q1", 0)]
    # wrapped at 200; seen 3 s into the second round
    assert kinds(tracker.observe(snap(203, position=3))) == [("now", "q1", 200)]
    assert tracker.next_due() == T0 + 300
    assert kinds(tracker.observe(snap(300, position=100))) == [("qualified", "q1", 200)]
    assert kinds(tracker.observe(snap(401, position=1))) == [("now", "q1", 400)]


def test_repeat_one_from_a_stop_at_the_end(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert kinds(tracker.observe(snap(200, IDLE, position=200))) == [("qualified", "q1", 0)]
    assert kinds(tracker.observe(snap(260, position=0))) == [("now", "q1", 260)]


def test_the_start_is_the_first_moment_heard(tracker: PlayTracker) -> None:
    assert tracker.observe(snap(0, IDLE, position=0)) == []  # loaded, not heard
    assert tracker.observe(snap(5, PAUSED, position=0)) == []
    assert kinds(tracker.observe(snap(7.5, position=0))) == [("now", "q1", 7.5)]


def test_timestamp_and_scrobble() -> None:
    play = Play("p1", "q1", None, track(), 1000.9)
    assert play.timestamp == 1000
    assert play.scrobble() == Scrobble(track(), 1000)


def test_now_playing_again_after_a_long_stop(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    tracker.observe(snap(10, PAUSED, position=10))
    tracker.observe(snap(40, IDLE, position=10))  # a long pause shows as idle
    # resumed 299 s after the pause: not announced again
    assert tracker.observe(snap(10 + RESUME_ANNOUNCE_AFTER - 1, position=10)) == []
    tracker.observe(snap(320, PAUSED, position=21))
    [again] = tracker.observe(snap(320 + RESUME_ANNOUNCE_AFTER, position=21))
    assert isinstance(again, NowPlaying)
    assert again.resumed
    assert again.play.started_at == T0


def test_ticks_qualify_a_play_on_time(tracker: PlayTracker) -> None:
    assert tracker.next_due() is None
    tracker.observe(snap(0, position=0))
    tracker.observe(snap(10, player="p2", duration=60, position=0))
    assert tracker.next_due() == T0 + 40
    assert tracker.tick(T0 + 39) == []
    assert kinds(tracker.tick(T0 + 40)) == [("qualified", "q1", 10)]
    assert tracker.next_due() == T0 + 100
    [qualified] = tracker.tick(T0 + 100)
    assert qualified.play.player_id == "p1"
    assert tracker.next_due() is None


def test_a_tick_never_credits_beyond_the_moment_it_was_due(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    [qualified] = tracker.tick(T0 + 5000)  # the clock jumped while the timer ran
    assert isinstance(qualified, PlayQualified)
    assert (qualified.listened, qualified.decided_at) == (100, T0 + 100)


def test_a_wall_clock_going_back_adds_nothing(tracker: PlayTracker) -> None:
    tracker.observe(snap(1000, position=0))
    assert tracker.observe(snap(500, position=30)) == []  # the clock went back 500 s
    assert tracker.next_due() == T0 + 600  # still 100 s to go, on the new clock
    assert tracker.tick(T0 + 400) == []  # and back again
    assert tracker.next_due() == T0 + 500
    assert tracker.observe(snap(499, position=129)) == []
    assert kinds(tracker.observe(snap(500, position=130))) == [("qualified", "q1", 1000)]


def test_a_wall_clock_jumping_forward_counts_at_most_the_rest_of_the_track(
    tracker: PlayTracker,
) -> None:
    tracker.observe(snap(0, position=150))  # 50 s left of 200 s; 100 s needed
    assert tracker.observe(snap(3600, position=170)) == []  # an hour ahead
    # credited: the rest (50 s) and the slack for position errors, not an hour
    assert tracker.next_due() == T0 + 3600 + 100 - 50 - POSITION_SLACK


def test_a_monotonic_clock_measures_the_gaps(tracker: PlayTracker) -> None:
    tracker.observe(replace(snap(0, position=0), monotonic=10))
    # the wall clock jumps an hour ahead; 20 s pass
    assert tracker.observe(replace(snap(3620, position=20), monotonic=30)) == []
    assert tracker.next_due() == T0 + 3700
    # the wall clock jumps back two hours; 30 s pass
    assert tracker.observe(replace(snap(-3550, position=50), monotonic=60)) == []
    assert tracker.next_due() == T0 - 3500
    [qualified] = tracker.tick(T0 - 3500, monotonic=110)
    assert isinstance(qualified, PlayQualified)
    assert (qualified.play.started_at, qualified.listened) == (T0, 100)
    assert qualified.decided_at == T0 - 3500


def test_a_tick_on_a_monotonic_clock_credits_the_time_that_passed(tracker: PlayTracker) -> None:
    tracker.observe(replace(snap(0, position=0), monotonic=0))
    assert tracker.tick(T0 + 5000, monotonic=50) == []  # the wall clock jumped
    assert tracker.next_due() == T0 + 5050
    assert kinds(tracker.tick(T0 + 5050, monotonic=100)) == [("qualified", "q1", 0)]


def test_a_player_gone_is_measured_on_the_monotonic_clock(tracker: PlayTracker) -> None:
    tracker.observe(replace(snap(0, position=0), monotonic=0))
    assert tracker.player_gone("p1", T0 + 9000, monotonic=99) == []  # 99 s, not 9000
    assert tracker.next_due() is None
    back = tracker.observe(replace(snap(9000, position=99), monotonic=100))
    assert back == []  # 1 s later: the same play, not announced again
    assert tracker.next_due() == T0 + 9001


def test_a_vanished_player_keeps_what_it_heard(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert tracker.player_gone("p1", T0 + 60) == []
    assert tracker.next_due() is None
    # back with the same item, 30 s later: the same play, not announced again
    assert tracker.observe(snap(90, position=60)) == []
    assert kinds(tracker.observe(snap(130, position=100))) == [("qualified", "q1", 0)]


def test_a_vanished_player_keeps_a_qualified_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert kinds(tracker.player_gone("p1", T0 + 120)) == [("qualified", "q1", 0)]
    assert tracker.player_gone("p1", T0 + 130) == []
    assert tracker.observe(snap(140, position=130)) == []  # not again
    assert tracker.player_gone("unknown", T0) == []


def test_gone_for_long_announces_again(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    tracker.player_gone("p1", T0 + 10)
    assert kinds(tracker.observe(snap(10 + RESUME_ANNOUNCE_AFTER, position=10))) == [
        ("again", "q1", 0)
    ]


def test_nothing_playing_or_nameless_ends_the_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert tracker.observe(snap(50, item=None)) == []
    assert tracker.observe(snap(150, item=None)) == []
    assert tracker.next_due() is None
    # another item that cannot be named (no artist or title): no play
    assert tracker.observe(replace(snap(160, item="q9"), track=None)) == []
    assert tracker.next_due() is None


def test_the_same_item_without_metadata_keeps_its_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert tracker.observe(replace(snap(50, position=50), track=None)) == []
    assert kinds(tracker.observe(snap(100, position=100))) == [("qualified", "q1", 0)]


def test_metadata_is_refined_during_a_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    richer = Track("Artist", "Title", album="Album", track_number=3)  # no length this time
    tracker.observe(replace(snap(10, position=10), track=richer))
    [qualified] = tracker.tick(T0 + 100)
    assert qualified.play.track == Track(
        "Artist", "Title", album="Album", track_number=3, duration=200
    )


def test_players_are_followed_apart_and_forgotten(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    tracker.observe(snap(0, player="p2", position=0))
    tracker.forget("p1")
    tracker.forget("p1")
    [qualified] = tracker.tick(T0 + 100)
    assert qualified.play.player_id == "p2"
    assert tracker.player_gone("p1", T0 + 100) == []  # forgotten: nothing to keep


def test_a_play_that_counts_on_its_last_round_repeats(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    tracker.observe(snap(10, position=110))  # sought forward: 10 s heard
    # wrapped at 100 (90 s later: 100 s heard), seen 5 s into the second round
    assert kinds(tracker.observe(snap(105, position=5))) == [
        ("qualified", "q1", 0),
        ("now", "q1", 100),
    ]


def test_back_to_the_start_after_the_threshold_is_a_new_play(tracker: PlayTracker) -> None:
    tracker.observe(snap(0, position=0))
    assert kinds(tracker.observe(snap(120, position=120))) == [("qualified", "q1", 0)]
    # sought back to 5 s (not the end of the track: not a wrap 5 s ago)
    assert kinds(tracker.observe(snap(150, position=5))) == [("now", "q1", 150)]
    assert tracker.next_due() == T0 + 250
    # while paused, back to the start is a seek in the same play
    tracker.observe(snap(200, PAUSED, position=55))
    assert tracker.observe(snap(210, PAUSED, position=0)) == []
    assert tracker.observe(snap(220, position=0)) == []


def test_the_current_play_of_a_player(tracker: PlayTracker) -> None:
    assert tracker.current("p1") is None
    tracker.observe(snap(0, IDLE, position=0))
    assert tracker.current("p1") is None  # loaded, not heard yet
    tracker.observe(snap(5, position=0))
    tracker.observe(snap(50, PAUSED, position=45))
    assert tracker.current("p1") == Play("p1", "q1", "library://track/q1", track(), T0 + 5)
    tracker.observe(snap(60, item=None))
    assert tracker.current("p1") is None
