"""What a Music Assistant server tells the Last.fm accounts that scrobble its players.

A Music Assistant entry publishes each player's playback as a ``SourcePlayback`` on the
dispatcher signal ``SIGNAL_PLAYBACK`` (one subscription per server, however many accounts
listen). A Last.fm entry has *scrobble sources* as config subentries of type ``source``; each
names a Music Assistant entry, all its players (also those added later) or some of them, and
optionally the Music Assistant user whose plays count. ``source_matches`` tells whether a
playback belongs to a source.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .scrobbling.models import PlaybackSnapshot

SIGNAL_PLAYBACK: Final = "scrobbler_playback"

SUBENTRY_SOURCE: Final = "source"
# The Music Assistant entry whose players are scrobbled.
CONF_SERVER_ENTRY_ID: Final = "server_entry_id"
# The player ids scrobbled; empty: every player of the server, also those added later.
CONF_PLAYERS: Final = "players"
# A Music Assistant user id; when set, only plays attributed to that user count.
CONF_MA_USER: Final = "ma_user"


@dataclass(frozen=True, slots=True)
class SourcePlayback:
    """A snapshot of one player of one Music Assistant server.

    Attributes:
        server_entry_id: the config entry of the Music Assistant server.
        snapshot: what the player does (its ``player_id`` is the server's player id).
        user_id: the Music Assistant user the player's plays are attributed to, when known.
        player_name: the player's name, for events and logs.
        gone: the player vanished (disconnect, unload, removal): what it heard so far stands.
    """

    server_entry_id: str
    snapshot: PlaybackSnapshot
    user_id: str | None = None
    player_name: str | None = None
    gone: bool = False


def source_matches(source: Mapping[str, Any], playback: SourcePlayback) -> bool:
    """Tell whether a playback comes from what a source (a subentry's data) names."""
    if source.get(CONF_SERVER_ENTRY_ID) != playback.server_entry_id:
        return False
    players = source.get(CONF_PLAYERS) or []
    if players and playback.snapshot.player_id not in players:
        return False
    user = source.get(CONF_MA_USER)
    return not user or user == playback.user_id
