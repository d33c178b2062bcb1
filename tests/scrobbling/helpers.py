"""Snapshots and decisions in few words, and the truth of random sessions, for the tests."""

from dataclasses import dataclass

from hypothesis import HealthCheck, settings

from custom_components.scrobbler.lastfm.models import Track
from custom_components.scrobbler.scrobbling.models import (
    Decision,
    NowPlaying,
    PlaybackSnapshot,
    PlaybackState,
    PlayQualified,
)

T0 = 1_800_000_000.0
PLAYING, PAUSED, IDLE = PlaybackState.PLAYING, PlaybackState.PAUSED, PlaybackState.IDLE


def track(duration: int | None = 200, title: str = "Title") -> Track:
    """A track of a given length."""
    return Track("Artist", title, duration=duration)


def snap(
    t: float,
    state: PlaybackState = PLAYING,
    *,
    item: str | None = "q1",
    duration: int | None = 200,
    position: float | None = None,
    player: str = "p1",
    title: str = "Title",
) -> PlaybackSnapshot:
    """What player ``player`` does ``t`` seconds after T0."""
    return PlaybackSnapshot(
        player,
        T0 + t,
        state,
        item_id=item,
        uri=None if item is None else f"library://track/{item}",
        track=None if item is None else track(duration, title),
        position=position,
    )


def kinds(decisions: list[Decision]) -> list[tuple[str, str, float]]:
    """(kind, item, start relative to T0) of each decision."""
    result = []
    for decision in decisions:
        if isinstance(decision, PlayQualified):
            kind = "qualified"
        elif isinstance(decision, NowPlaying) and decision.resumed:
            kind = "again"
        else:
            kind = "now"
        result.append((kind, decision.play.item_id, round(decision.play.started_at - T0, 6)))
    return result


# --- the models of the random sessions ------------------------------------------------------

# Float slack on listening times (sums of real-clock pieces).
SLACK = 1e-3
# (what was announced, its start on the wall clock, whether it was a resume)
type Announcement = tuple[object, float, bool]

MODEL_SETTINGS = settings(
    max_examples=200,
    stateful_step_count=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass
class ModelPlay:
    """A play as it really happened."""

    player: str
    item: str
    start: float  # wall clock
    threshold: float | None
    listened: float = 0.0
    qualified: int = 0  # how often the tracker said so

    @property
    def counts(self) -> bool:
        """Whether it was heard long enough."""
        return self.threshold is not None and self.listened >= self.threshold - SLACK


def qualified_play(plays: list[ModelPlay], decision: PlayQualified) -> ModelPlay:
    """The one true play a qualification is about (same player and item, start within 1 s)."""
    play = decision.play
    [truth] = [
        candidate
        for candidate in plays
        if (candidate.player, candidate.item) == (play.player_id, play.item_id)
        and abs(candidate.start - play.started_at) <= 1
    ]
    assert truth.counts, f"{truth} qualified after {truth.listened} s"
    truth.qualified += 1
    return truth


def check_plays(plays: list[ModelPlay]) -> None:
    """Every play heard long enough was qualified once; no other play was."""
    for play in plays:
        assert play.qualified == (1 if play.counts else 0), play


def check_announcements(said: list[Announcement], expected: list[Announcement]) -> None:
    """The same announcements, their starts within 1 s."""
    assert len(said) == len(expected), (said, expected)
    for one, other in zip(said, expected, strict=True):
        assert (one[0], one[2]) == (other[0], other[2])
        assert abs(one[1] - other[1]) <= 1
