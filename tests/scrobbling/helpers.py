"""Snapshots and decisions in few words, for the tracker's tests."""

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
