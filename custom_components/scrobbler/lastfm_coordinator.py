"""The coordinator of a Last.fm account, and the runtime data of its config entry.

Sensors import this module; ``lastfm_account.py`` (setup, migration, diagnostics) imports both.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .lastfm.client import LastfmClient
from .lastfm.errors import LastfmAuthError, LastfmError, LastfmRateLimitError, LastfmTemporaryError
from .lastfm.models import RecentTrack, Track, User

if TYPE_CHECKING:
    from .lastfm_scrobbling import AccountScrobbler

# One user.getInfo and one user.getRecentTracks per minute: 2 calls per minute per account.
UPDATE_INTERVAL = timedelta(seconds=60)
# How long a now-playing track sent by this integration is shown when its duration is unknown.
NOW_PLAYING_TTL = timedelta(minutes=10)


class ConnectionState(StrEnum):
    """How the last call to the account's service went."""

    CONNECTED = "connected"
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"
    RATE_LIMITED = "rate_limited"


# How a failed poll shows: the state of the connection and the message (first match wins).
_FAILURES: tuple[tuple[type[LastfmError], ConnectionState, str], ...] = (
    (LastfmAuthError, ConnectionState.AUTH_FAILED, "lastfm_auth_failed"),
    (LastfmRateLimitError, ConnectionState.RATE_LIMITED, "lastfm_rate_limited"),
    (LastfmTemporaryError, ConnectionState.UNREACHABLE, "lastfm_unreachable"),
    (LastfmError, ConnectionState.UNREACHABLE, "lastfm_api_error"),
)


@dataclass(frozen=True, slots=True)
class LastfmAccountState:
    """What the coordinator knows of the account."""

    user: User
    now_playing: RecentTrack | None
    last_scrobble: RecentTrack | None


@dataclass(slots=True)
class LastfmAccountData:
    """Runtime data of a Last.fm entry."""

    client: LastfmClient
    coordinator: LastfmAccountCoordinator
    scrobbler: AccountScrobbler


type LastfmConfigEntry = ConfigEntry[LastfmAccountData]


class LastfmAccountCoordinator(DataUpdateCoordinator[LastfmAccountState | None]):
    """Poll the account's play count and recent tracks.

    ``data`` is ``None`` until a poll has succeeded (the session key may be rejected at setup);
    ``connection`` always tells how the last call went.
    """

    config_entry: LastfmConfigEntry

    def __init__(self, hass: HomeAssistant, entry: LastfmConfigEntry, client: LastfmClient) -> None:
        """Poll the account of an entry with its client."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Last.fm account {entry.data[CONF_USERNAME]}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.connection = ConnectionState.CONNECTED
        # The track this integration last sent as now playing, and until when it stands.
        self._sent_now_playing: tuple[RecentTrack, datetime] | None = None

    @override
    async def _async_update_data(self) -> LastfmAccountState:
        try:
            user = await self.client.get_user_info()
            recent = await self.client.get_recent_tracks(user.name, limit=2)
        except LastfmError as err:
            self.connection, key = next(
                (state, key) for kind, state, key in _FAILURES if isinstance(err, kind)
            )
            failure = (
                ConfigEntryAuthFailed
                if self.connection is ConnectionState.AUTH_FAILED
                else UpdateFailed
            )
            raise failure(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"code": str(err.code)},
            ) from err
        self.connection = ConnectionState.CONNECTED
        polled_now_playing = next((track for track in recent if track.now_playing), None)
        return LastfmAccountState(
            user=user,
            now_playing=self._now_playing(polled_now_playing),
            last_scrobble=next((track for track in recent if not track.now_playing), None),
        )

    @callback
    def async_set_now_playing(self, track: Track) -> None:
        """Show at once a track this integration has sent to the account as now playing."""
        playing = RecentTrack(
            artist=track.artist,
            title=track.title,
            album=track.album,
            image_url=None,
            now_playing=True,
            played_at=None,
        )
        lasts = timedelta(seconds=track.duration) if track.duration else NOW_PLAYING_TTL
        self._sent_now_playing = (playing, dt_util.utcnow() + lasts)
        if self.data is not None:
            self.async_set_updated_data(replace(self.data, now_playing=playing))

    def _now_playing(self, polled: RecentTrack | None) -> RecentTrack | None:
        """Return what plays now: Last.fm's answer, or the track sent lately if it has none."""
        if polled is not None or self._sent_now_playing is None:
            self._sent_now_playing = None
            return polled
        sent, until = self._sent_now_playing
        if dt_util.utcnow() >= until:
            self._sent_now_playing = None
            return None
        return sent
