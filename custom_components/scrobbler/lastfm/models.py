"""What the Last.fm client sends and receives."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Track:
    """A track as Last.fm knows it; the optional fields are sent when known.

    Attributes:
        duration: the length of the track in seconds.
        mbid: the MusicBrainz recording id.
    """

    artist: str
    title: str
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    duration: int | None = None
    mbid: str | None = None


@dataclass(frozen=True)
class Scrobble:
    """A play of a track, with the UNIX time (UTC, seconds) at which it started.

    Attributes:
        chosen_by_user: sent as ``chosenByUser``: ``False`` when someone else chose the track
            (a radio, a DJ), ``True`` when the user did; ``None`` (not sent) when unsure.
    """

    track: Track
    timestamp: int
    chosen_by_user: bool | None = None


@dataclass(frozen=True)
class ScrobbleResult:
    """What Last.fm did with one scrobble of a batch.

    Attributes:
        accepted: whether the scrobble was recorded.
        ignored_code: 0 when accepted; otherwise 1 filtered artist, 2 filtered track,
            3 timestamp too old, 4 timestamp too new, 5 daily limit reached (more may come).
        ignored_message: the service's words for it (may be empty).
    """

    accepted: bool
    ignored_code: int
    ignored_message: str


@dataclass(frozen=True)
class Session:
    """A session of a user with an application; the key signs the user's calls."""

    name: str
    key: str = field(repr=False)


@dataclass(frozen=True)
class User:
    """The public profile of a user."""

    name: str
    playcount: int
    url: str | None
    image_url: str | None
    registered: datetime | None


@dataclass(frozen=True)
class RecentTrack:
    """A track of a user's recent plays, or the one playing now (then without a time)."""

    artist: str
    title: str
    album: str | None
    image_url: str | None
    now_playing: bool
    played_at: datetime | None
