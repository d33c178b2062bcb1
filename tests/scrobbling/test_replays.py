"""The recordings of a real Music Assistant server, through the adapter and the tracker.

Each expectation is read off the recording's timeline (``tests/fixtures/music_assistant/`` and
the shared ``*.timeline.txt``): a play starts at the first ``player_updated`` that shows it
``playing``, and it qualifies when its wall-clock playing time reaches min(50 %, 240 s) of its
length: on the tracker's tick (as a timer would fire it), since the server reports nothing
while a track plays on. Times are the recorder's ``t``; a start timestamp is
``wall_clock_at_t0 + t``, in whole seconds.
"""

from functools import cache
import math

import pytest

from custom_components.scrobbler.lastfm.models import Track
from custom_components.scrobbler.scrobbling.models import NowPlaying, PlayQualified

from .replay import Decided, Replay

# As the library knows them (queue items of the recordings): no MusicBrainz ids.
PINK_BREEZE = Track("Harness Tones", "Pink Breeze", "Second Wind", "Harness Tones", 1, 50)
SQUARE_NOON = Track("Harness Tones", "Square Noon", "First Light", "Harness Tones", 2, 60)
SINE_AT_DAWN = Track("Harness Tones", "Sine at Dawn", "First Light", "Harness Tones", 1, 75)
HERTZ_127 = Track("Loopback Quartet", "127 Hertz", "Localhost Suite", "Loopback Quartet", 1, 90)
PORT_8095 = Track("Loopback Quartet", "Port 8095", "Localhost Suite", "Loopback Quartet", 2, 80)

type Outline = tuple[str, float, str, str, float]


@cache
def replayed(name: str) -> tuple[Replay, tuple[Decided, ...]]:
    """A recording replayed once (reading one takes a while), and its decisions."""
    replay = Replay(name)
    return replay, tuple(replay.run())


def outline(replay: Replay, decided: Decided) -> Outline:
    """(kind, when, artist, title, start): the start in recorder time."""
    decision = decided.decision
    kind = "qualified" if isinstance(decision, PlayQualified) else "now playing"
    if isinstance(decision, NowPlaying) and decision.resumed:
        kind = "now playing again"
    play = decision.play
    start = round(play.started_at - replay.t0, 3)
    return (kind, decided.t, play.track.artist, play.track.title, start)


# play_two_tracks: Pink Breeze (50 s) starts at 5.671 (player_updated playing; the 1.67 s of
# current_media null from 5.922 are not a change) and needs 25 s: 30.671. Square Noon (60 s)
# shows at 56.632 and needs 30 s: 86.632. The end of the queue (116.64 idle, 121.90 cleared)
# and MA's own reports (seconds_played 30/49/59, the last one twice) add nothing.
PLAY_TWO_TRACKS = [
    ("now playing", 5.671, "Harness Tones", "Pink Breeze", 5.671),
    ("qualified", 30.671, "Harness Tones", "Pink Breeze", 5.671),
    ("now playing", 56.632, "Harness Tones", "Square Noon", 56.632),
    ("qualified", 86.632, "Harness Tones", "Square Noon", 56.632),
]
# skip: Sine at Dawn (75 s, needs 37.5 s) from 6.175 to the skip at 20.803: 14.6 s, although MA
# reported seconds_played 35 at 7.56. 127 Hertz (90 s, needs 45 s) from 20.803 to 55.805: 35 s.
# Port 8095 (80 s, needs 40 s) from 55.805 to the stop at 66.268: 10.5 s. Nothing qualifies.
SKIP = [
    ("now playing", 6.175, "Harness Tones", "Sine at Dawn", 6.175),
    ("now playing", 20.803, "Loopback Quartet", "127 Hertz", 20.803),
    ("now playing", 55.805, "Loopback Quartet", "Port 8095", 55.805),
]
# token_revoked: Port 8095 from 5.662; the connection is closed at 16.572 (11 s heard, MA said
# 17 s at 6.81); the reconnect fails. Nothing qualifies.
TOKEN_REVOKED = [("now playing", 5.662, "Loopback Quartet", "Port 8095", 5.662)]
# long_pause: Port 8095 (80 s, needs 40 s) plays 5.432-20.298 (14.866 s), is paused, shows idle
# from 51.58, resumes at 80.492 (60 s later: the same play, not announced again) and needs
# 25.134 s more: 105.626, although the queue reported 28 s at the resume and 30 s at 82.99.
LONG_PAUSE = [
    ("now playing", 5.432, "Loopback Quartet", "Port 8095", 5.432),
    ("qualified", 105.626, "Loopback Quartet", "Port 8095", 5.432),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("play_two_tracks", PLAY_TWO_TRACKS),
        ("skip", SKIP),
        ("token_revoked", TOKEN_REVOKED),
        ("long_pause", LONG_PAUSE),
    ],
)
def test_decisions_of_each_recording(name: str, expected: list[Outline]) -> None:
    replay, decided = replayed(name)
    assert [outline(replay, item) for item in decided] == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "play_two_tracks",
            [(PINK_BREEZE, 1795292029.904 + 5.671), (SQUARE_NOON, 1795292029.904 + 56.632)],
        ),
        ("skip", []),
        ("token_revoked", []),
        ("long_pause", [(PORT_8095, 1796188926.915 + 5.432)]),
    ],
)
def test_exact_scrobbles(name: str, expected: list[tuple[Track, float]]) -> None:
    """What Last.fm would get: the track as the library knows it, and the start in UTC."""
    scrobbles = [
        item.decision.play.scrobble()
        for item in replayed(name)[1]
        if isinstance(item.decision, PlayQualified)
    ]
    assert [(scrobble.track, scrobble.timestamp) for scrobble in scrobbles] == [
        (track, math.floor(start)) for track, start in expected
    ]


def test_now_playing_names_the_tracks_of_the_skip_recording() -> None:
    tracks = [
        item.decision.play.track
        for item in replayed("skip")[1]
        if isinstance(item.decision, NowPlaying)
    ]
    assert tracks == [SINE_AT_DAWN, HERTZ_127, PORT_8095]
