"""An asynchronous client of the Last.fm API (and of compatible services such as Libre.fm).

The aiohttp session is injected. Calls are signed as Last.fm documents it, writes and calls with
a session key are POST form bodies, answers are JSON and every failure is a typed :mod:`.errors` exception whose message
holds no secret.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
import hashlib
from http import HTTPStatus
import json
import logging
from typing import Any, Final, NoReturn, override
from urllib.parse import urlencode

import aiohttp
from aiohttp.abc import AbstractStreamWriter

from .errors import (
    LastfmAuthError,
    LastfmMalformedResponseError,
    LastfmOutcomeUnknownError,
    LastfmRateLimitError,
    LastfmTemporaryError,
    error_for_code,
)
from .models import RecentTrack, Scrobble, ScrobbleResult, Session, Track, User
from .ratelimit import RateLimiter
from .services import LASTFM

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_REQUESTS_PER_SECOND: Final = 5.0
DEFAULT_USER_AGENT: Final = "Scrobbler/0.1 (Home Assistant integration)"
MAX_SCROBBLES_PER_BATCH: Final = 50
MAX_RECENT_TRACKS: Final = 1000

# Parameters that are not signed (https://www.last.fm/api/authspec section 8).
_UNSIGNED: Final = frozenset({"format", "callback", "api_sig"})
# Parameters whose values are secret; they are blanked out of any text the server echoes.
_SECRET_PARAMS: Final = ("sk", "token", "api_sig")
# Image sizes from the largest down; the largest available one is used.
_IMAGE_SIZES: Final = ("mega", "extralarge", "large", "medium", "small", "")
_MAX_MESSAGE_LENGTH: Final = 200


def sign(params: Mapping[str, str], secret: str) -> str:
    """Return the ``api_sig`` of a call.

    The MD5 (lowercase hex) of every parameter but ``format``, ``callback`` and ``api_sig``, as
    name and value concatenated in the ASCII order of the names, followed by the secret; UTF-8.
    """
    payload = "".join(f"{name}{params[name]}" for name in sorted(params) if name not in _UNSIGNED)
    return hashlib.md5((payload + secret).encode(), usedforsecurity=False).hexdigest()


def auth_page_url(auth_url: str, api_key: str, token: str) -> str:
    """Return the page where the user allows the application: ``AUTH_PAGE?api_key=K&token=T``."""
    separator = "&" if "?" in auth_url else "?"
    return f"{auth_url}{separator}{urlencode({'api_key': api_key, 'token': token})}"


class LastfmClient:
    """A client of one application (API key and secret), optionally for one user session."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        api_secret: str,
        *,
        session_key: str | None = None,
        api_root: str = LASTFM.api_root,
        timeout: float = DEFAULT_TIMEOUT,
        max_requests_per_second: float = DEFAULT_MAX_REQUESTS_PER_SECOND,
        rate_limiter: RateLimiter | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        """Create a client.

        Args:
            session: the aiohttp session to send requests with (not closed by the client).
            api_key: the application's API key.
            api_secret: the application's shared secret, used to sign calls.
            session_key: the user's session key, for calls on behalf of the user.
            api_root: the URL of the API (Last.fm by default).
            timeout: seconds a call may take, waiting for the rate limit excepted.
            max_requests_per_second: the client-side rate limit.
            rate_limiter: a limiter to use instead (to share one between clients, or in tests).
            user_agent: the ``User-Agent`` header sent, as Last.fm asks.
        """
        self._session = session
        self._api_key = api_key
        self._api_secret = api_secret
        self._session_key = session_key
        self._api_root = api_root
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._limiter = rate_limiter or RateLimiter(max_requests_per_second)
        self._headers = {"User-Agent": user_agent}
        # The last token handed out or exchanged, blanked out of error messages too.
        self._last_token: str | None = None

    @property
    def api_key(self) -> str:
        """The application's API key."""
        return self._api_key

    @property
    def api_root(self) -> str:
        """The URL of the API."""
        return self._api_root

    @property
    def session_key(self) -> str | None:
        """The session key used for calls on behalf of the user."""
        return self._session_key

    @session_key.setter
    def session_key(self, value: str | None) -> None:
        self._session_key = value

    # --- authentication -------------------------------------------------------------------

    async def get_token(self) -> str:
        """Get a request token (``auth.getToken``), valid for 60 minutes and for one session."""
        data = await self._call("auth.getToken", {}, write=True, signed=True)
        self._last_token = _text(data, "token", what="auth.getToken")
        return self._last_token

    async def get_session(self, token: str) -> Session:
        """Exchange an allowed token for a session (``auth.getSession``).

        Raises:
            LastfmTokenNotAuthorizedError: the user has not allowed the token yet.
            LastfmTokenExpiredError: the token expired or was used already.
        """
        self._last_token = token
        data = await self._call("auth.getSession", {"token": token}, write=True, signed=True)
        session = _member(data, "session", "auth.getSession")
        return Session(
            name=_text(session, "name", what="auth.getSession"),
            key=_text(session, "key", what="auth.getSession"),
        )

    # --- reads ----------------------------------------------------------------------------

    async def get_user_info(self, user: str | None = None) -> User:
        """Get a user's profile (``user.getInfo``).

        Without ``user``, the call is signed with the session key and returns its user: this is
        the check that a session key is still valid.
        """
        if user is None:
            data = await self._call("user.getInfo", {}, with_session_key=True)
        else:
            data = await self._call("user.getInfo", {"user": user})
        return _parse_user(_member(data, "user", "user.getInfo"))

    async def get_recent_tracks(
        self,
        user: str,
        *,
        limit: int = 1,
        from_: datetime | None = None,
        to: datetime | None = None,
    ) -> list[RecentTrack]:
        """Get a user's recent plays, newest first (``user.getRecentTracks``).

        When the user is listening now, the first track is the one playing (``now_playing``,
        no time) and comes in addition to ``limit``, as Last.fm answers it.

        Args:
            user: the user name.
            limit: how many plays (1 to 1000).
            from_: only plays at or after this (aware) time.
            to: only plays at or before this (aware) time.
        """
        if not 1 <= limit <= MAX_RECENT_TRACKS:
            msg = f"limit must be between 1 and {MAX_RECENT_TRACKS}"
            raise ValueError(msg)
        params = {"user": user, "limit": str(limit)}
        if from_ is not None:
            params["from"] = str(_unix_time(from_))
        if to is not None:
            params["to"] = str(_unix_time(to))
        data = await self._call("user.getRecentTracks", params)
        recent = _member(data, "recenttracks", "user.getRecentTracks")
        return [
            _parse_recent_track(item)
            for item in _items(recent.get("track"), what="user.getRecentTracks")
        ]

    # --- writes ---------------------------------------------------------------------------

    async def update_now_playing(self, track: Track) -> None:
        """Tell Last.fm what the user is playing now (``track.updateNowPlaying``)."""
        data = await self._call(
            "track.updateNowPlaying", _track_params(track), write=True, with_session_key=True
        )
        _member(data, "nowplaying", "track.updateNowPlaying")

    async def scrobble(self, scrobbles: Sequence[Scrobble]) -> list[ScrobbleResult]:
        """Scrobble a batch of 1 to 50 plays (``track.scrobble``), in the order given.

        Returns:
            What Last.fm did with each play, in the same order.

        Raises:
            ValueError: the batch is empty or longer than 50.
        """
        if not 1 <= len(scrobbles) <= MAX_SCROBBLES_PER_BATCH:
            msg = f"a batch holds 1 to {MAX_SCROBBLES_PER_BATCH} scrobbles, not {len(scrobbles)}"
            raise ValueError(msg)
        params: dict[str, str] = {}
        for index, item in enumerate(scrobbles):
            fields = {**_track_params(item.track), "timestamp": str(item.timestamp)}
            if item.chosen_by_user is not None:
                fields["chosenByUser"] = str(int(item.chosen_by_user))
            params.update({f"{name}[{index}]": value for name, value in fields.items()})
        data = await self._call("track.scrobble", params, write=True, with_session_key=True)
        return _parse_scrobble_results(_member(data, "scrobbles", "track.scrobble"), len(scrobbles))

    async def love(self, artist: str, title: str) -> None:
        """Add a track to the user's loved tracks (``track.love``)."""
        await self._call(
            "track.love", {"artist": artist, "track": title}, write=True, with_session_key=True
        )

    async def unlove(self, artist: str, title: str) -> None:
        """Remove a track from the user's loved tracks (``track.unlove``)."""
        await self._call(
            "track.unlove", {"artist": artist, "track": title}, write=True, with_session_key=True
        )

    # --- transport ------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        params: Mapping[str, str],
        *,
        write: bool = False,
        signed: bool = False,
        with_session_key: bool = False,
    ) -> dict[str, Any]:
        """Call an API method and return its JSON object, or raise a typed error."""
        query = {"method": method, "api_key": self._api_key, **params}
        if with_session_key:
            if not self._session_key:
                msg = f"{method} needs a session key, and the client has none"
                raise LastfmAuthError(msg)
            query["sk"] = self._session_key
        if signed or with_session_key:
            query["api_sig"] = sign(query, self._api_secret)
        query["format"] = "json"

        await self._limiter.acquire()
        _LOGGER.debug("Calling %s", method)
        form: _FormBody | None = None
        try:
            # A session key or token never goes in a URL, where proxies and servers log it.
            if write or with_session_key:
                form = _FormBody(query)
                request = self._session.post(
                    self._api_root, data=form, headers=self._headers, timeout=self._timeout
                )
            else:
                request = self._session.get(
                    self._api_root, params=query, headers=self._headers, timeout=self._timeout
                )
            async with request as response:
                status = response.status
                body = await response.read()
        except TimeoutError as err:
            msg = f"{method}: no answer within {self._timeout.total:g} s"
            raise _transport_error(msg, sent=form is not None and form.sent) from err
        except aiohttp.ClientError as err:
            # The text of aiohttp's errors may hold the URL, and with it a session key.
            msg = f"{method}: cannot reach the service ({type(err).__name__})"
            raise _transport_error(msg, sent=form is not None and form.sent) from None
        _LOGGER.debug("%s answered HTTP %s", method, status)
        return self._parse_answer(method, status, body, query)

    def _parse_answer(
        self, method: str, status: int, body: bytes, query: Mapping[str, str]
    ) -> dict[str, Any]:
        """Return the JSON object of an answer; raise the error it carries, whatever the status."""
        try:
            data = json.loads(body)
        except ValueError, RecursionError:
            data = None
        if isinstance(data, dict) and "error" in data:
            code = data["error"]
            if isinstance(code, str):
                code = _number(code)
            if isinstance(code, int) and not isinstance(code, bool):
                message = self._safe_message(data.get("message"), query)
                raise error_for_code(
                    code,
                    f"{method}: Last.fm error {code}: {message}",
                    method=method,
                    with_session_key="sk" in query,
                )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            msg = f"{method}: too many requests (HTTP {status})"
            raise LastfmRateLimitError(msg)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            msg = f"{method}: the service failed (HTTP {status})"
            raise LastfmTemporaryError(msg)
        if not isinstance(data, dict) or "error" in data:
            msg = f"{method}: the answer (HTTP {status}) is not a Last.fm JSON object"
            raise LastfmMalformedResponseError(msg)
        if status >= HTTPStatus.BAD_REQUEST:
            msg = f"{method}: the service refused the request (HTTP {status})"
            raise LastfmMalformedResponseError(msg)
        return data

    def _safe_message(self, message: object, query: Mapping[str, str]) -> str:
        """Return the server's message, shortened, with every secret known blanked out."""
        text = message if isinstance(message, str) else ""
        secrets = [
            self._api_secret,
            self._session_key,
            self._last_token,
            *(query[name] for name in _SECRET_PARAMS if name in query),
        ]
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text[:_MAX_MESSAGE_LENGTH] or "(no message)"


class _FormBody(aiohttp.BytesPayload):
    """A form body (as aiohttp encodes a ``dict``) that tells whether it has started to go out.

    Until then, a failed request cannot have reached the service; from then on it may have.
    """

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__(
            urlencode(list(fields.items())).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        self.sent = False

    @override
    async def write(self, writer: AbstractStreamWriter) -> None:
        self.sent = True
        await super().write(writer)

    @override
    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        self.sent = True
        await super().write_with_length(writer, content_length)


def _transport_error(message: str, *, sent: bool) -> LastfmTemporaryError:
    """The error of a request that got no answer: its outcome is unknown once it was sent."""
    if sent:
        return LastfmOutcomeUnknownError(f"{message}, after the request was sent")
    return LastfmTemporaryError(message)


# --- parsing helpers (Last.fm's JSON is a converted form of its XML) -----------------------


def _unix_time(moment: datetime) -> int:
    if moment.tzinfo is None:
        msg = "times must be aware (carry a time zone)"
        raise ValueError(msg)
    return int(moment.timestamp())


def _track_params(track: Track) -> dict[str, str]:
    """Return the parameters of a track; the optional ones only when known."""
    params = {"artist": track.artist, "track": track.title}
    optional: Iterable[tuple[str, object]] = (
        ("album", track.album),
        ("albumArtist", track.album_artist),
        ("trackNumber", track.track_number),
        ("duration", track.duration),
        ("mbid", track.mbid),
    )
    params.update({name: str(value) for name, value in optional if value not in (None, "")})
    return params


def _malformed(what: str, detail: str) -> NoReturn:
    msg = f"{what}: unexpected answer ({detail})"
    raise LastfmMalformedResponseError(msg)


def _member(data: Mapping[str, Any], name: str, what: str) -> dict[str, Any]:
    """Return a member that must be a JSON object."""
    value = data.get(name)
    if not isinstance(value, dict):
        _malformed(what, f"no {name!r} object")
    return value


def _items(value: object, *, what: str) -> list[dict[str, Any]]:
    """Return a repeated element: absent, one object, or an array of objects."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    _malformed(what, "a list of objects was expected")


def _text(data: Mapping[str, Any], name: str, *, what: str) -> str:
    """Return a member that must be a non-empty string (or ``{"#text": ...}``)."""
    value = _optional_text(data.get(name))
    if value is None:
        _malformed(what, f"no {name!r} text")
    return value


def _optional_text(value: object) -> str | None:
    """Return the text of a value, a number or ``{"#text": ...}``; ``None`` if empty."""
    if isinstance(value, dict):
        value = value.get("#text", value.get("name"))
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str) and value:
        return value
    return None


def _number(text: str | None) -> int | None:
    """Return the value of a string of ASCII digits; ``None`` for anything else."""
    if text is None or not text.isascii() or not text.isdigit():
        return None
    try:
        return int(text)
    except ValueError:  # more digits than Python converts
        return None


def _int(value: object, *, what: str) -> int:
    """Return a count or code, sent as a number or a string of digits; 0 when absent."""
    text = _optional_text(value)
    if text is None:
        return 0
    number = _number(text)
    if number is None:
        _malformed(what, "a number was expected")
    return number


def _time(value: object) -> datetime | None:
    """Return the time of ``{"uts": ...}`` / ``{"unixtime": ...}`` objects, if any."""
    if not isinstance(value, dict):
        return None
    for name in ("uts", "unixtime", "#text"):
        seconds = _number(_optional_text(value.get(name)))
        if seconds is not None:
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except OverflowError, OSError, ValueError:
                return None
    return None


def _image(value: object, *, what: str) -> str | None:
    """Return the URL of the largest image of an ``image`` array, if any."""
    if value is None:
        return None
    urls = {
        str(item.get("size", "")): url
        for item in _items(value, what=what)
        if (url := _optional_text(item.get("#text"))) is not None
    }
    return next((urls[size] for size in _IMAGE_SIZES if size in urls), None)


def _parse_user(data: Mapping[str, Any]) -> User:
    return User(
        name=_text(data, "name", what="user.getInfo"),
        playcount=_int(data.get("playcount"), what="user.getInfo"),
        url=_optional_text(data.get("url")),
        image_url=_image(data.get("image"), what="user.getInfo"),
        registered=_time(data.get("registered")),
    )


def _parse_recent_track(data: Mapping[str, Any]) -> RecentTrack:
    attributes = data.get("@attr")
    now_playing = isinstance(attributes, dict) and attributes.get("nowplaying") == "true"
    return RecentTrack(
        artist=_text(data, "artist", what="user.getRecentTracks"),
        title=_text(data, "name", what="user.getRecentTracks"),
        album=_optional_text(data.get("album")),
        image_url=_image(data.get("image"), what="user.getRecentTracks"),
        now_playing=now_playing,
        played_at=None if now_playing else _time(data.get("date")),
    )


def _parse_scrobble_results(data: Mapping[str, Any], sent: int) -> list[ScrobbleResult]:
    """Return the result of each scrobble; the answer must account for every one sent."""
    results = []
    for item in _items(data.get("scrobble"), what="track.scrobble"):
        ignored = item.get("ignoredMessage")
        if not isinstance(ignored, dict):
            ignored = {}
        code = _int(ignored.get("code"), what="track.scrobble")
        message = _optional_text(ignored.get("#text")) or ""
        results.append(
            ScrobbleResult(accepted=code == 0, ignored_code=code, ignored_message=message)
        )
    if len(results) != sent:
        _malformed("track.scrobble", f"{len(results)} results for {sent} scrobbles")
    counts = data.get("@attr")
    if isinstance(counts, dict) and {"accepted", "ignored"} <= counts.keys():
        accepted = _int(counts["accepted"], what="track.scrobble")
        ignored_count = _int(counts["ignored"], what="track.scrobble")
        if (accepted, ignored_count) != (
            sum(result.accepted for result in results),
            sum(not result.accepted for result in results),
        ):
            _malformed("track.scrobble", "the counts do not match the results")
    return results
