"""The actions of Scrobbler: love, unlove and scrobble a track, retry dead letters."""

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import CONF_KIND, DOMAIN, EntryKind
from .lastfm.errors import LastfmError
from .lastfm.models import Scrobble, Track
from .lastfm_coordinator import LastfmConfigEntry
from .lastfm_scrobbling import AccountScrobbler
from .scrobbling.queue import AddResult

SERVICE_LOVE: Final = "love"
SERVICE_UNLOVE: Final = "unlove"
SERVICE_SCROBBLE: Final = "scrobble"
SERVICE_RETRY_DEAD_LETTERS: Final = "retry_dead_letters"

ATTR_ARTIST: Final = "artist"
ATTR_TRACK: Final = "track"
ATTR_ALBUM: Final = "album"
ATTR_ALBUM_ARTIST: Final = "album_artist"
ATTR_DURATION: Final = "duration"
ATTR_TIMESTAMP: Final = "timestamp"

# How far ahead of now a scrobble may start (clocks differ a little).
MAX_AHEAD: Final = timedelta(minutes=5)

_ACCOUNT = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
LOVE_SCHEMA = vol.Schema(
    {**_ACCOUNT, vol.Optional(ATTR_ARTIST): cv.string, vol.Optional(ATTR_TRACK): cv.string}
)
SCROBBLE_SCHEMA = vol.Schema(
    {
        **_ACCOUNT,
        vol.Required(ATTR_ARTIST): cv.string,
        vol.Required(ATTR_TRACK): cv.string,
        vol.Optional(ATTR_ALBUM): cv.string,
        vol.Optional(ATTR_ALBUM_ARTIST): cv.string,
        vol.Optional(ATTR_DURATION): vol.All(vol.Coerce(int), vol.Range(min=1)),
        vol.Optional(ATTR_TIMESTAMP): cv.datetime,
    }
)
ACCOUNT_SCHEMA = vol.Schema(_ACCOUNT)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of the integration."""
    hass.services.async_register(DOMAIN, SERVICE_LOVE, _async_love, schema=LOVE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_UNLOVE, _async_love, schema=LOVE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_SCROBBLE, _async_scrobble, schema=SCROBBLE_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_RETRY_DEAD_LETTERS,
        _async_retry_dead_letters,
        schema=ACCOUNT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _account(call: ServiceCall) -> LastfmConfigEntry:
    """Return the loaded Last.fm entry an action names."""
    entry: ConfigEntry[Any] = service.async_get_config_entry(
        call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    if entry.data.get(CONF_KIND) != EntryKind.LASTFM:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_an_account",
            translation_placeholders={"entry_title": entry.title},
        )
    return entry


def _scrobbler(call: ServiceCall) -> AccountScrobbler:
    return _account(call).runtime_data.scrobbler


async def _async_love(call: ServiceCall) -> None:
    """Love or unlove the given track, or the one the account plays now."""
    scrobbler = _scrobbler(call)
    artist: str | None = call.data.get(ATTR_ARTIST)
    title: str | None = call.data.get(ATTR_TRACK)
    if (artist is None) != (title is None):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="artist_and_track_together"
        )
    if artist is None or title is None:
        if (playing := scrobbler.now_playing) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="nothing_playing",
                translation_placeholders={"entry_title": scrobbler.entry.title},
            )
        artist, title = playing.artist, playing.title
    client = scrobbler.client
    call_ = client.love if call.service == SERVICE_LOVE else client.unlove
    try:
        await call_(artist, title)
    except LastfmError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="love_failed",
            translation_placeholders={"artist": artist, "track": title, "error": str(err)},
        ) from err


async def _async_scrobble(call: ServiceCall) -> None:
    """Queue a play like any other: saved at once, sent when the account can."""
    scrobbler = _scrobbler(call)
    data = call.data
    now = dt_util.utcnow()
    started: datetime = dt_util.as_utc(data.get(ATTR_TIMESTAMP) or now)
    if started > now + MAX_AHEAD:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="scrobble_in_future"
        )
    track = Track(
        data[ATTR_ARTIST],
        data[ATTR_TRACK],
        album=data.get(ATTR_ALBUM),
        album_artist=data.get(ATTR_ALBUM_ARTIST),
        duration=data.get(ATTR_DURATION),
    )
    timestamp = int(started.timestamp())
    result = await scrobbler.async_add(
        Scrobble(track, timestamp, chosen_by_user=True),
        track_id=f"action/{track.artist}/{track.title}",
    )
    if result is AddResult.TOO_OLD:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="scrobble_too_old")
    if result is AddResult.DUPLICATE:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="scrobble_duplicate"
        )


async def _async_retry_dead_letters(call: ServiceCall) -> ServiceResponse:
    """Queue an account's dead letters again."""
    count = await _scrobbler(call).async_retry_dead_letters()
    return {"retried": count}
