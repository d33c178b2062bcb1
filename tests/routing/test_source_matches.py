"""Which playbacks a scrobble source takes."""

import pytest

from custom_components.scrobbler.playback import (
    CONF_MA_USER,
    CONF_PLAYERS,
    CONF_SERVER_ENTRY_ID,
    SourcePlayback,
    source_matches,
)
from custom_components.scrobbler.scrobbling.models import PlaybackSnapshot, PlaybackState


def playback(
    server: str = "ma1", player: str = "kitchen", user: str | None = None
) -> SourcePlayback:
    snapshot = PlaybackSnapshot(player_id=player, observed_at=0.0, state=PlaybackState.PLAYING)
    return SourcePlayback(server_entry_id=server, snapshot=snapshot, user_id=user)


@pytest.mark.parametrize(
    ("source", "seen", "expected"),
    [
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_PLAYERS: []}, playback(), True),
        ({CONF_SERVER_ENTRY_ID: "ma1"}, playback(player="new"), True),
        ({CONF_SERVER_ENTRY_ID: "ma2", CONF_PLAYERS: []}, playback(), False),
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_PLAYERS: ["kitchen"]}, playback(), True),
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_PLAYERS: ["office"]}, playback(), False),
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_MA_USER: "u1"}, playback(user="u1"), True),
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_MA_USER: "u1"}, playback(user="u2"), False),
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_MA_USER: "u1"}, playback(), False),
        ({CONF_SERVER_ENTRY_ID: "ma1", CONF_MA_USER: None}, playback(user="u2"), True),
    ],
)
def test_source_matches(source: dict[str, object], seen: SourcePlayback, expected: bool) -> None:
    assert source_matches(source, seen) is expected
