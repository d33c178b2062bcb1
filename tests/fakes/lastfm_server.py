"""A fake Last.fm API, served over a real socket on 127.0.0.1, as strict as the real one.

It knows registered applications (API key and secret) and users; checks every signature;
hands out single-use tokens that expire after 60 minutes on its own clock; answers
``auth.getSession`` with 14 until a test approves the token (as a person clicking the link
does); issues one session key per (application, user), which a test may revoke; serves
``user.getInfo`` and ``user.getRecentTracks`` from what was scrobbled; and accepts
``track.updateNowPlaying``, ``track.scrobble`` (up to 50, with the per-item ignored codes and
the single-object-versus-array JSON quirk), ``track.love`` and ``track.unlove``. Writes must be
POSTed. Every request is recorded, and failures can be injected for the next requests.

Signing here is written independently of the client's, from the documentation.

Stricter than the real service on purpose: an unknown ``name[i]`` parameter of track.scrobble
is refused with 6 (the real service ignores it silently), so that a misspelt name such as
``albumartist[0]`` fails a test instead of being dropped unseen.
"""

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
import hashlib
import json
import re
import secrets
import time
from typing import Any, Final, Self

from aiohttp import web

API_KEY: Final = "0123456789abcdef0123456789abcdef"
API_SECRET: Final = "fedcba9876543210fedcba9876543210"
USERNAME: Final = "alice"

TOKEN_LIFETIME: Final = 3600
MAX_SCROBBLES: Final = 50
# Last.fm ignores scrobbles older than about two weeks and newer than a few minutes ahead.
MAX_SCROBBLE_AGE: Final = 14 * 24 * 3600
MAX_SCROBBLE_AHEAD: Final = 5 * 60
NOW_PLAYING_DEFAULT_LENGTH: Final = 5 * 60
WRITE_METHODS: Final = frozenset(
    {"track.updateNowPlaying", "track.scrobble", "track.love", "track.unlove"}
)
AUTH_METHODS: Final = frozenset({"auth.getToken", "auth.getSession"})
_INDEXED = re.compile(r"^(?P<name>[A-Za-z]+)\[(?P<index>\d+)\]$")
_SCROBBLE_FIELDS: Final = frozenset(
    {
        "artist",
        "track",
        "timestamp",
        "album",
        "context",
        "streamId",
        "chosenByUser",
        "trackNumber",
        "mbid",
        "albumArtist",
        "duration",
    }
)
_MESSAGES: Final = {
    2: "Invalid service - This service does not exist",
    3: "Invalid Method - No method with that name in this package",
    4: "Authentication Failed - You do not have permissions to access the service",
    6: "Invalid parameters - Your request is missing a required parameter",
    9: "Invalid session key - Please re-authenticate",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    13: "Invalid method signature supplied",
    14: "Unauthorized Token - This token has not been authorized",
    15: "This token has expired",
    16: "There was a temporary error processing your request. Please try again",
    26: "Suspended API key - Access for your account has been suspended, please contact Last.fm",
    29: "Rate Limit Exceded - Your IP has made too many requests in a short period",
}


_IGNORED_MESSAGES: Final = {
    1: "Artist was ignored",
    2: "Track was ignored",
    3: "Timestamp was too old",
    4: "Timestamp was too new",
    5: "Max daily scrobbles exceeded",
}


class Failure(StrEnum):
    """Failures that are not a Last.fm error code."""

    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    HTTP_429 = "http_429"
    HTML = "html"
    TRUNCATED_JSON = "truncated_json"
    # No answer until the fake stops; the request is not carried out.
    HANG = "hang"
    # The request is carried out (a scrobble recorded), then no answer until the fake stops.
    HANG_AFTER_RECORD = "hang_after_record"
    # The connection is closed without an answer; the request is not carried out.
    DROP = "drop"
    # The request is carried out, then the connection is closed without an answer.
    DROP_AFTER_RECORD = "drop_after_record"
    # The body given to answer_next.
    BODY = "body"


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received: HTTP method, path and parameters (query and form).

    Attributes:
        query: the parameters that came in the URL.
    """

    http_method: str
    path: str
    params: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str | None:
        """The API method called."""
        return self.params.get("method")


@dataclass
class StoredScrobble:
    """A scrobble the fake accepted."""

    artist: str
    track: str
    timestamp: int
    params: dict[str, str]
    received: float


@dataclass
class NowPlaying:
    """The last now-playing update of a user."""

    artist: str
    track: str
    started: float
    params: dict[str, str]


@dataclass
class FakeUser:
    """A user of the fake service."""

    name: str
    playcount: int = 0
    registered: int = 1_037_793_040
    image_url: str | None = None
    scrobbles: list[StoredScrobble] = field(default_factory=list)
    # The scrobbles accepted, in the order they arrived.
    received: list[StoredScrobble] = field(default_factory=list)
    now_playing: NowPlaying | None = None
    loved: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class _Token:
    api_key: str
    created: float
    user: str | None = None
    used: bool = False


@dataclass
class _Injected:
    failure: Failure | int
    count: int
    method: str | None
    status: int
    body: str = ""


class LastfmApiError(Exception):
    """An error answer of the fake, with its Last.fm code."""

    def __init__(self, code: int, message: str | None = None) -> None:
        """Answer ``code`` with the real service's message, or the one given."""
        super().__init__(message or _MESSAGES.get(code, "Error"))
        self.code = code


def expected_signature(params: Mapping[str, str], secret: str) -> str:
    """Return the signature Last.fm expects (authspec section 8), written for the fake."""
    names = [name for name in params if name not in ("format", "callback", "api_sig")]
    names.sort(key=lambda name: name.encode())
    text = "".join(name + params[name] for name in names) + secret
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class FakeLastfm:
    """The fake service. Start it with ``async with FakeLastfm() as server``."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        """Create the fake; its clock follows ``clock`` plus what tests advance."""
        self._clock = clock
        self._offset = 0.0
        self._apps: dict[str, str] = {}
        self._suspended: set[str] = set()
        self._users: dict[str, FakeUser] = {}
        self._tokens: dict[str, _Token] = {}
        self._sessions: dict[str, tuple[str, str]] = {}  # key -> (api key, user)
        self._session_of: dict[tuple[str, str], str] = {}  # (api key, user) -> key
        self._injected: list[_Injected] = []
        self._ignore_next: list[tuple[int, int]] = []  # (ignored code, items left)
        self._stopping = asyncio.Event()
        self.requests: list[RecordedRequest] = []
        self.filtered_artists: set[str] = set()
        self.filtered_tracks: set[str] = set()
        self.daily_limit: int | None = None
        self.single_track_as_object = True
        self._runner: web.AppRunner | None = None
        self._port = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1, on a free port."""
        app = web.Application()
        app.router.add_route("*", "/2.0/", self._handle_api)
        app.router.add_get("/api/auth/", self._handle_auth_page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self._port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving; requests left hanging are answered (empty) first."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start the fake."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the fake."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """The root URL of the fake."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_root(self) -> str:
        """The URL of the API."""
        return f"{self.base_url}/2.0/"

    @property
    def auth_url(self) -> str:
        """The URL of the authorization page."""
        return f"{self.base_url}/api/auth/"

    # --- clock ----------------------------------------------------------------------------

    @property
    def clock(self) -> float:
        """The fake's time (UNIX seconds)."""
        return self._clock() + self._offset

    @clock.setter
    def clock(self, value: float) -> None:
        self._offset = value - self._clock()

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward."""
        self._offset += seconds

    # --- test hooks -----------------------------------------------------------------------

    def register_app(self, api_key: str, secret: str) -> None:
        """Register an application (API account) with its shared secret."""
        self._apps[api_key] = secret

    def suspend_app(self, api_key: str) -> None:
        """Suspend an API key: every call with it then fails with 26."""
        self._suspended.add(api_key)

    def add_user(
        self,
        name: str,
        *,
        playcount: int = 0,
        registered: int = 1_037_793_040,
        image_url: str | None = None,
    ) -> FakeUser:
        """Add a user."""
        user = FakeUser(name, playcount=playcount, registered=registered, image_url=image_url)
        self._users[name.lower()] = user
        return user

    def user(self, name: str) -> FakeUser:
        """Return a user."""
        return self._users[name.lower()]

    def issue_token(self, api_key: str = API_KEY) -> str:
        """Hand out a token as auth.getToken does."""
        token = secrets.token_hex(16)
        self._tokens[token] = _Token(api_key, self.clock)
        return token

    @property
    def tokens(self) -> list[str]:
        """The tokens handed out, oldest first."""
        return list(self._tokens)

    def approve(self, token: str, user: str) -> None:
        """Let ``user`` allow the application of ``token``, as on the authorization page."""
        self._tokens[token].user = self.user(user).name

    def approve_pending(self, user: str) -> str:
        """Approve the newest token not approved yet (what a person clicking the link does)."""
        pending = [token for token, info in self._tokens.items() if info.user is None]
        if not pending:
            msg = "no token is waiting for approval"
            raise LookupError(msg)
        self.approve(pending[-1], user)
        return pending[-1]

    def issue_session(self, user: str, api_key: str = API_KEY) -> str:
        """Return the session key of ``user`` with an application, issuing one if needed."""
        name = self.user(user).name
        key = self._session_of.get((api_key, name))
        if key is None:
            key = secrets.token_hex(16)
            self._session_of[(api_key, name)] = key
            self._sessions[key] = (api_key, name)
        return key

    def revoke_session(self, key: str) -> None:
        """Revoke a session key, as a user removing the application's access does."""
        api_key, name = self._sessions.pop(key)
        del self._session_of[(api_key, name)]

    def fail_next(
        self,
        failure: Failure | int,
        count: int = 1,
        *,
        method: str | None = None,
        status: int | None = None,
    ) -> None:
        """Answer the next ``count`` requests (of ``method`` only, if given) with a failure.

        Args:
            failure: a Last.fm error code (e.g. 11, 16, 29) or a :class:`Failure`.
            count: how many requests to fail.
            method: fail only requests of this API method.
            status: the HTTP status of an error code's answer (200 by default).
        """
        if status is None:
            status = 200
        self._injected.append(_Injected(failure, count, method, status))

    def ignore_next(self, code: int, count: int = 1) -> None:
        """Ignore the next ``count`` scrobbles (items of track.scrobble) with ``code`` (1 to 5).

        Items of a request that fails otherwise (an injected failure, a refused request) are
        not counted.
        """
        self._ignore_next.append((code, count))

    def answer_next(
        self, body: object, *, status: int = 200, method: str | None = None, count: int = 1
    ) -> None:
        """Answer the next requests with ``body`` (JSON-encoded unless it is a ``str``)."""
        text = body if isinstance(body, str) else json.dumps(body)
        self._injected.append(_Injected(Failure.BODY, count, method, status, text))

    def scrobbles_of(self, user: str) -> list[StoredScrobble]:
        """The scrobbles a user has, oldest first."""
        return list(self.user(user).scrobbles)

    def now_playing_of(self, user: str) -> NowPlaying | None:
        """The last now-playing update of a user, if it still runs."""
        playing = self.user(user).now_playing
        if playing is None:
            return None
        length = _int_or_none(playing.params.get("duration")) or NOW_PLAYING_DEFAULT_LENGTH
        return playing if self.clock < playing.started + length else None

    def requests_of(self, method: str) -> list[RecordedRequest]:
        """The recorded requests of an API method."""
        return [request for request in self.requests if request.method == method]

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle_auth_page(self, request: web.Request) -> web.Response:
        token = self._tokens.get(request.query.get("token", ""))
        if token is None or token.api_key != request.query.get("api_key"):
            return web.Response(status=400, text="<html><body>Invalid token</body></html>")
        return web.Response(
            content_type="text/html", text="<html><body>Allow access?</body></html>"
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        params = dict(query)
        if request.method == "POST":
            params.update({name: str(value) for name, value in (await request.post()).items()})
        self.requests.append(RecordedRequest(request.method, request.path, params, query))
        if (injected := self._take_injected(params.get("method"))) is not None:
            return await self._inject(request, injected, params)
        if params.get("format") != "json":
            return web.Response(
                status=400,
                content_type="text/xml",
                text='<?xml version="1.0"?><lfm status="failed"><error code="5">'
                "This fake only speaks JSON</error></lfm>",
            )
        try:
            status, body = self._dispatch(request.method, params)
        except LastfmApiError as err:
            status, body = 200, {"error": err.code, "message": str(err)}
            if err.code in (9, 10, 13, 26):
                status = 403
            elif err.code == 6:
                status = 400
        return web.json_response(body, status=status)

    def _take_injected(self, method: str | None) -> _Injected | None:
        for injected in self._injected:
            if injected.method in (None, method):
                injected.count -= 1
                if injected.count <= 0:
                    self._injected.remove(injected)
                return injected
        return None

    async def _inject(
        self, request: web.Request, injected: _Injected, params: dict[str, str]
    ) -> web.Response:
        if injected.failure in (Failure.HANG_AFTER_RECORD, Failure.DROP_AFTER_RECORD):
            with contextlib.suppress(LastfmApiError):
                self._dispatch(request.method, params)
        match injected.failure:
            case Failure.HTTP_500 | Failure.HTTP_503 | Failure.HTTP_429:
                status = int(injected.failure.removeprefix("http_"))
                return web.Response(status=status, text=f"HTTP {status}")
            case Failure.HTML:
                return web.Response(
                    status=200,
                    content_type="text/html",
                    text="<html><head><title>Last.fm</title></head><body>Oops</body></html>",
                )
            case Failure.TRUNCATED_JSON:
                return web.Response(
                    status=200, content_type="application/json", text='{"session": {"na'
                )
            case Failure.BODY:
                return web.Response(
                    status=injected.status, content_type="application/json", text=injected.body
                )
            case Failure.HANG | Failure.HANG_AFTER_RECORD:
                await self._stopping.wait()
                return web.Response(status=503)
            case Failure.DROP | Failure.DROP_AFTER_RECORD:
                assert request.transport is not None
                request.transport.abort()
                raise asyncio.CancelledError
            case int(code):
                return web.json_response(
                    {"error": code, "message": _MESSAGES.get(code, "Error")},
                    status=injected.status,
                )
        msg = f"unknown failure {injected.failure!r}"
        raise AssertionError(msg)

    # --- API ------------------------------------------------------------------------------

    def _dispatch(self, http_method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        method = params.get("method", "")
        handler = self._handlers().get(method)
        if handler is None:
            raise LastfmApiError(3)
        api_key = params.get("api_key", "")
        secret = self._apps.get(api_key)
        if secret is None:
            raise LastfmApiError(10)
        if api_key in self._suspended:
            raise LastfmApiError(26)
        if method in WRITE_METHODS and http_method != "POST":
            raise LastfmApiError(3, "Invalid Method - This method must be called with POST")
        must_sign = method in AUTH_METHODS or "sk" in params
        signed = must_sign or "api_sig" in params
        if signed and params.get("api_sig") != expected_signature(params, secret):
            raise LastfmApiError(13)
        user = None
        if "sk" in params:
            session = self._sessions.get(params["sk"])
            if session is None or session[0] != api_key:
                raise LastfmApiError(9)
            user = self.user(session[1])
        elif method in WRITE_METHODS:
            raise LastfmApiError(4)
        return 200, handler(api_key, user, params)

    def _handlers(
        self,
    ) -> dict[str, Callable[[str, FakeUser | None, dict[str, str]], dict[str, Any]]]:
        return {
            "auth.getToken": self._get_token,
            "auth.getSession": self._get_session,
            "user.getInfo": self._get_info,
            "user.getRecentTracks": self._get_recent_tracks,
            "track.updateNowPlaying": self._update_now_playing,
            "track.scrobble": self._scrobble,
            "track.love": self._love,
            "track.unlove": self._unlove,
        }

    def _get_token(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        return {"token": self.issue_token(api_key)}

    def _get_session(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        token = self._tokens.get(_required(params, "token"))
        if token is None or token.api_key != api_key or token.used:
            raise LastfmApiError(4, "Invalid authentication token supplied")
        if self.clock - token.created >= TOKEN_LIFETIME:
            raise LastfmApiError(15)
        if token.user is None:
            raise LastfmApiError(14)
        token.used = True
        key = self.issue_session(token.user, api_key)
        return {"session": {"name": token.user, "key": key, "subscriber": 0}}

    def _find_user(self, params: dict[str, str], user: FakeUser | None) -> FakeUser:
        name = params.get("user")
        if name is None:
            if user is None:
                raise LastfmApiError(6)
            return user
        found = self._users.get(name.lower())
        if found is None:
            raise LastfmApiError(6, "User not found")
        return found

    def _get_info(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        found = self._find_user(params, user)
        return {
            "user": {
                "name": found.name,
                "realname": "",
                "url": f"https://www.last.fm/user/{found.name}",
                "image": _images(found.image_url),
                "country": "None",
                "age": "0",
                "gender": "n",
                "subscriber": "0",
                "playcount": str(found.playcount),
                "playlists": "0",
                "bootstrap": "0",
                "registered": {"unixtime": str(found.registered), "#text": found.registered},
                "type": "user",
            }
        }

    def _get_recent_tracks(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        found = self._find_user(params, user)
        limit = _number(params, "limit", default=50)
        page = _number(params, "page", default=1)
        if not 1 <= limit <= 1000 or page < 1:
            raise LastfmApiError(6)
        start = _number(params, "from", default=0)
        end = _number(params, "to", default=2**62)
        plays = [s for s in reversed(found.scrobbles) if start <= s.timestamp <= end]
        shown = plays[(page - 1) * limit : page * limit]
        tracks = [
            {
                **_track_json(s.artist, s.track, s.params.get("album", "")),
                "date": {
                    "uts": str(s.timestamp),
                    "#text": time.strftime("%d %b %Y, %H:%M", time.gmtime(s.timestamp)),
                },
            }
            for s in shown
        ]
        playing = self.now_playing_of(found.name)
        if playing is not None and page == 1 and "to" not in params:
            tracks.insert(
                0,
                {
                    **_track_json(playing.artist, playing.track, playing.params.get("album", "")),
                    "@attr": {"nowplaying": "true"},
                },
            )
        total_pages = max(1, -(-len(plays) // limit))
        track_member: Any = (
            tracks[0] if len(tracks) == 1 and self.single_track_as_object else tracks
        )
        return {
            "recenttracks": {
                "track": track_member,
                "@attr": {
                    "user": found.name,
                    "page": str(page),
                    "perPage": str(limit),
                    "totalPages": str(total_pages),
                    "total": str(len(plays)),
                },
            }
        }

    def _update_now_playing(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        assert user is not None
        artist, track = _required(params, "artist"), _required(params, "track")
        user.now_playing = NowPlaying(artist, track, self.clock, dict(params))
        return {
            "nowplaying": {
                **_uncorrected(params),
                "ignoredMessage": {"code": "0", "#text": ""},
            }
        }

    def _scrobble(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        assert user is not None
        items = _scrobble_items(params)
        results = [self._scrobble_one(user, item) for item in items]
        accepted = sum(1 for result in results if result["ignoredMessage"]["code"] == "0")
        scrobble: Any = results[0] if len(results) == 1 else results
        return {
            "scrobbles": {
                "scrobble": scrobble,
                "@attr": {"accepted": accepted, "ignored": len(results) - accepted},
            }
        }

    def _scrobble_one(self, user: FakeUser, item: dict[str, str]) -> dict[str, Any]:
        timestamp = int(item["timestamp"])
        now = self.clock
        today = int(now // 86400)
        sent_today = sum(1 for s in user.scrobbles if int(s.received // 86400) == today)
        code = 0
        if self._ignore_next:
            code, left = self._ignore_next[0]
            if left <= 1:
                del self._ignore_next[0]
            else:
                self._ignore_next[0] = (code, left - 1)
        elif item["artist"] in self.filtered_artists:
            code = 1
        elif item["track"] in self.filtered_tracks:
            code = 2
        elif timestamp < now - MAX_SCROBBLE_AGE:
            code = 3
        elif timestamp > now + MAX_SCROBBLE_AHEAD:
            code = 4
        elif self.daily_limit is not None and sent_today >= self.daily_limit:
            code = 5
        message = _IGNORED_MESSAGES.get(code, "Ignored") if code else ""
        if code == 0:
            stored = StoredScrobble(item["artist"], item["track"], timestamp, dict(item), now)
            user.scrobbles.append(stored)
            user.scrobbles.sort(key=lambda s: s.timestamp)
            user.received.append(stored)
            user.playcount += 1
        return {
            **_uncorrected(item),
            "timestamp": str(timestamp),
            "ignoredMessage": {"code": str(code), "#text": message},
        }

    def _love(self, api_key: str, user: FakeUser | None, params: dict[str, str]) -> dict[str, Any]:
        assert user is not None
        user.loved.add((_required(params, "artist"), _required(params, "track")))
        return {}

    def _unlove(
        self, api_key: str, user: FakeUser | None, params: dict[str, str]
    ) -> dict[str, Any]:
        assert user is not None
        user.loved.discard((_required(params, "artist"), _required(params, "track")))
        return {}


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise LastfmApiError(6, f"Invalid parameters - {name} is required")
    return value


def _is_number(value: str) -> bool:
    """Whether a parameter is a whole number in ASCII digits ("²" is a digit to str.isdigit)."""
    return value.isascii() and value.isdigit()


def _number(params: Mapping[str, str], name: str, *, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not _is_number(value):
        raise LastfmApiError(6, f"Invalid parameters - {name} must be a number")
    return int(value)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and _is_number(value) else None


def _scrobble_items(params: Mapping[str, str]) -> list[dict[str, str]]:
    """Return the scrobbles of a request: ``name[i]`` for i in 0..49, or one without index."""
    indexed: dict[int, dict[str, str]] = {}
    plain: dict[str, str] = {}
    for name, value in params.items():
        if (match := _INDEXED.match(name)) is not None:
            if match["name"] not in _SCROBBLE_FIELDS:
                raise LastfmApiError(6, f"Invalid parameters - unknown parameter {name}")
            indexed.setdefault(int(match["index"]), {})[match["name"]] = value
        elif name in _SCROBBLE_FIELDS:
            plain[name] = value
    if indexed and plain:
        raise LastfmApiError(6, "Invalid parameters - mixed indexed and plain scrobbles")
    if not indexed:
        indexed = {0: plain}
    if len(indexed) > MAX_SCROBBLES or max(indexed) >= MAX_SCROBBLES:
        raise LastfmApiError(6, "Invalid parameters - at most 50 scrobbles per request")
    if sorted(indexed) != list(range(len(indexed))):
        raise LastfmApiError(6, "Invalid parameters - scrobble indices must start at 0")
    return [_check_scrobble_item(indexed[index]) for index in range(len(indexed))]


def _check_scrobble_item(item: dict[str, str]) -> dict[str, str]:
    _required(item, "artist")
    _required(item, "track")
    if not _is_number(_required(item, "timestamp")):
        raise LastfmApiError(6, "Invalid parameters - timestamp must be a number")
    return item


def _uncorrected(params: Mapping[str, str]) -> dict[str, Any]:
    """The echo of the names sent; the fake never corrects one ("corrected": "0")."""
    return {
        name: {"corrected": "0", "#text": params.get(name, "")}
        for name in ("artist", "track", "album", "albumArtist")
    }


def _images(url: str | None) -> list[dict[str, str]]:
    return [
        {"size": size, "#text": url or ""} for size in ("small", "medium", "large", "extralarge")
    ]


def _track_json(artist: str, track: str, album: str) -> dict[str, Any]:
    return {
        "artist": {"mbid": "", "#text": artist},
        "streamable": "0",
        "image": _images(None),
        "mbid": "",
        "album": {"mbid": "", "#text": album},
        "name": track,
        "url": f"https://www.last.fm/music/{artist}/_/{track}",
    }
