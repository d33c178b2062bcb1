"""What the play tracker takes in (snapshots of players) and gives out (decisions).

Times are UTC epoch seconds (floats) as the source observed them; the tracker reads no clock.
"""

from dataclasses import dataclass
from enum import StrEnum
import math

from custom_components.scrobbler.lastfm.models import Scrobble, Track


class PlaybackState(StrEnum):
    """What a player does with its current item."""

    PLAYING = "playing"
    PAUSED = "paused"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class PlaybackSnapshot:
    """What one player was doing at one moment.

    Attributes:
        player_id: the player, unique within the tracker.
        observed_at: when this was true (UTC epoch seconds, from the source's clock).
        state: playing, paused or idle.
        item_id: a stable id of what is loaded (a queue item id): the same id means the same
            item, so a pause, a stop or a seek never turns it into another play. None when
            nothing is loaded.
        uri: the media URI of the item, part of its identity.
        track: what Last.fm is told; None when the item cannot be named (no artist or title).
            Its ``duration`` (seconds) decides whether and when a play counts.
        position: seconds into the item at ``observed_at``, when known.
        monotonic: the same moment on a clock that never jumps (``time.monotonic()``, the
            event loop's time), when the source has one: gaps between observations are then
            measured on it, so a change of the wall clock adds no listening time.
    """

    player_id: str
    observed_at: float
    state: PlaybackState
    item_id: str | None = None
    uri: str | None = None
    track: Track | None = None
    position: float | None = None
    monotonic: float | None = None


@dataclass(frozen=True, slots=True)
class Play:
    """One play of an item on a player, from the first moment it was heard.

    Attributes:
        started_at: when it was first heard playing (UTC epoch seconds).
    """

    player_id: str
    item_id: str
    uri: str | None
    track: Track
    started_at: float

    @property
    def timestamp(self) -> int:
        """The start of the play as Last.fm takes it: whole UNIX seconds."""
        return math.floor(self.started_at)

    def scrobble(self) -> Scrobble:
        """The scrobble of this play."""
        return Scrobble(self.track, self.timestamp)


@dataclass(frozen=True, slots=True)
class NowPlaying:
    """Tell Last.fm what a player plays: at the start of a play, or on a late resume.

    Attributes:
        resumed: False at the start of the play; True when it resumed after a long pause.
    """

    play: Play
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class PlayQualified:
    """A play has been listened to long enough to be scrobbled (said once per play).

    Attributes:
        listened: seconds listened when this was decided.
        decided_at: the time of the observation (or tick) that decided it.
    """

    play: Play
    listened: float
    decided_at: float


type Decision = NowPlaying | PlayQualified


@dataclass(frozen=True, slots=True)
class TrackerOptions:
    """When a play counts (Last.fm's rule by default).

    A track counts when it is longer than ``min_length_seconds`` and was listened to for at
    least ``percent`` % of its length or ``cap_seconds``, whichever is less.
    """

    percent: float = 50.0
    cap_seconds: float = 240.0
    min_length_seconds: float = 30.0

    def __post_init__(self) -> None:
        """Refuse thresholds that make no sense."""
        if not 0 < self.percent <= 100:  # noqa: PLR2004 - a percentage
            msg = f"percent must be in (0, 100], not {self.percent}"
            raise ValueError(msg)
        if self.cap_seconds <= 0:
            msg = f"cap_seconds must be positive, not {self.cap_seconds}"
            raise ValueError(msg)
        if self.min_length_seconds < 0:
            msg = f"min_length_seconds must not be negative, not {self.min_length_seconds}"
            raise ValueError(msg)

    def threshold(self, duration: float | None) -> float | None:
        """Seconds of listening a track of this length needs; None when it never counts."""
        if duration is None or duration <= self.min_length_seconds:
            return None
        return min(duration * self.percent / 100, self.cap_seconds)
