"""A fake Music Assistant server that the real `music-assistant-client` accepts.

An aiohttp app on a real socket on 127.0.0.1 (random port, optionally TLS) that answers like the
real server recorded in `tests/fixtures/music_assistant/` (schema 29, auth on):

* `GET /info`: the server info, no auth.
* `POST /auth/login`: nested `credentials` (the flat shape alone is refused, as recorded);
  200 with a session token, 401 for a wrong password or an unknown user, 403 without users.
* `POST /auth/logout`: revokes the bearer token. Over the websocket, `auth/logout` (and
  `auth/token/revoke` of the socket's own token) closes the socket before any answer, as the
  real server does: revoking a token closes every socket that uses it (close code 1000).
* `GET /ws`: the server info first; from schema 28 on, the `auth` command (errors 20 and 23 as
  recorded) before anything else; the commands the client sends; unknown commands get error 12;
  events only to authenticated sockets. Below schema 28 there is no auth at all.
  `config/players` lists every player the server knows, found since its start or not (modelled
  on the library's `PlayerConfig` and the newest server; the recordings do not have it). With
  `player_configs_of_found_players_only` it leaves out the players not found since the start,
  as some releases do (they also leave out the players of providers still loading).

Test hooks drive players (`add_player`, `play`, `media_ready`, `next`, `advance`, ...), push any
event (`emit`), drop connections without a close frame (`drop_connections`), go offline and
restart on the same port (`restart`), revoke or reject tokens and record what clients did
(`commands`, `logins`, `logouts`, `tokens_created`, `tokens_revoked`).
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import json
import secrets
import ssl
from typing import Any, Self

from aiohttp import WSCloseCode, WSMsgType, web
from music_assistant_models.api import ErrorResultMessage, ServerInfoMessage, SuccessResultMessage
from music_assistant_models.auth import AuthToken, User, UserRole
from music_assistant_models.config_entries import PlayerConfig
from music_assistant_models.enums import EventType, ProviderType
from music_assistant_models.errors import (
    AuthenticationRequired,
    InvalidCommand,
    MusicAssistantError,
)
from music_assistant_models.event import MassEvent
from music_assistant_models.media_items import Track
from music_assistant_models.provider import ProviderInstance

from .music_assistant_media import (
    PLAYER_PROVIDER,
    RECORDED_PLAYER_ID,
    RECORDED_PLAYER_NAME,
    FakePlayer,
)

MA_USERNAME = "admin"
MA_PASSWORD = "fake-ma-admin-password"
MA_TOKEN = "fake-ma-long-lived-token-0123456789abcdef"
MA_SERVER_ID = "8b1827465244402aaa119f832bdcbc1b"
MA_SERVER_VERSION = "2.8.0"
MA_SCHEMA_VERSION = 29
MIN_SCHEMA_VERSION = 28
AUTH_SCHEMA_VERSION = 28  # from this schema on, clients must authenticate

# error codes of `music_assistant_models.errors`
ERROR_INVALID_COMMAND = 12
ERROR_AUTHENTICATION_REQUIRED = 20
ERROR_INVALID_TOKEN = 23
ERROR_SETUP_REQUIRED = 503
ERROR_UNKNOWN = 999

MSG_AUTH_FIRST = "Authentication required. Please send auth command first."
MSG_TOKEN_REQUIRED = "token required in args"
MSG_INVALID_TOKEN = "Invalid or expired token"
MSG_INVALID_LOGIN = "Invalid username or password"
MSG_CREDENTIALS_REQUIRED = "Username and password required"

# fields of the server info by the schema that introduced them
_SERVER_INFO_FIELDS_SINCE = {
    "name": 29,
    "status": 29,
    "internal_url": 32,
    "external_url": 32,
    "has_remote_access": 32,
    "unsupported_install": 87,
}
_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
}
PARTIAL_CHUNK_SIZE = 500  # the server streams async-generator results in chunks of 500


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    """Return the JSON value of a model, a list of models or plain data."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


@dataclass(frozen=True)
class LoginAttempt:
    """A `POST /auth/login` the server received (the password is not kept)."""

    username: str | None
    success: bool
    status: int
    body_keys: frozenset[str]
    device_name: str | None


@dataclass
class _Connection:
    """One websocket client of the server."""

    ws: web.WebSocketResponse
    request: web.Request
    token: AuthToken | None = None
    authenticated: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: str) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_str(payload)

    def abort(self) -> None:
        """Cut the TCP connection: no close frame, like a crash or a network loss."""
        if (transport := self.request.transport) is not None:
            transport.abort()


type ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]
CommandHandler = Callable[[_Connection, dict[str, Any]], Awaitable[Any]]


class FakeMusicAssistantServer:
    """A Music Assistant server for the real client, on a real socket on 127.0.0.1."""

    def __init__(
        self,
        *,
        schema_version: int = MA_SCHEMA_VERSION,
        min_supported_schema_version: int = MIN_SCHEMA_VERSION,
        server_id: str = MA_SERVER_ID,
        server_version: str = MA_SERVER_VERSION,
        users: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        partial_chunk_size: int = PARTIAL_CHUNK_SIZE,
        heartbeat: float | None = None,
    ) -> None:
        """Set the server up; `users` maps usernames to passwords (empty: not onboarded).

        The real server pings every 30 s (`heartbeat=30`); tests leave it off: aiohttp re-arms
        the ping timer after a close, which HA's test harness would report as lingering.
        """
        self.heartbeat = heartbeat
        self.schema_version = schema_version
        self.min_supported_schema_version = min_supported_schema_version
        self.server_id = server_id
        self.server_version = server_version
        self.ssl_context = ssl_context
        self.partial_chunk_size = partial_chunk_size
        self.passwords: dict[str, str] = dict(
            {MA_USERNAME: MA_PASSWORD} if users is None else users
        )
        self.users: dict[str, User] = {
            name: User(user_id=secrets.token_urlsafe(32), username=name, role=UserRole.ADMIN)
            for name in self.passwords
        }
        self.tokens: dict[str, AuthToken] = {}  # token string -> token
        self.reject_tokens = False  # every `auth` fails with error 23
        self.players: dict[str, FakePlayer] = {}
        # every player the server has a configuration of (id -> name), found since it started
        # or not; only removing a player deletes its configuration
        self.player_configs: dict[str, str] = {}
        # `config/players` lists only the players found since the start (some releases)
        self.player_configs_of_found_players_only = False
        self.providers: list[ProviderInstance] = [
            ProviderInstance(
                type=ProviderType.PLAYER,
                domain="universal_player",
                name="Universal Player",
                instance_id="universal_player",
                lookup_key="universal_player",
                supported_features=set(),
                available=True,
            )
        ]
        self.manifests: list[dict[str, Any]] = []
        # results given verbatim to these commands (a replayed recording's initial state)
        self.recorded_results: dict[str, Any] = {}
        # commands answered with an error, and commands never answered (a hung server)
        self.failing_commands: dict[str, MusicAssistantError] = {}
        self.unanswered_commands: set[str] = set()
        # what the clients did
        self.commands: list[dict[str, Any]] = []
        self._command_received = asyncio.Event()
        self.logins: list[LoginAttempt] = []
        self.logouts: list[str] = []  # names of the tokens logged out
        self.tokens_created: list[str] = []  # names of the long-lived tokens created
        self.tokens_revoked: list[str] = []  # names of the tokens revoked
        self.connection_count = 0
        self._connections: list[_Connection] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        self._previous_exception_handler: ExceptionHandler | None = None
        self._handshake_filter: ExceptionHandler | None = None
        self._handlers: dict[str, CommandHandler] = {
            "info": self._cmd_info,
            "auth/me": self._cmd_me,
            "auth/tokens": self._cmd_tokens,
            "auth/token/create": self._cmd_token_create,
            "auth/token/revoke": self._cmd_token_revoke,
            "auth/logout": self._cmd_logout,
            "providers": self._cmd_providers,
            "providers/manifests": self._cmd_manifests,
            "players/all": self._cmd_players,
            "config/players": self._cmd_player_configs,
            "players/get": self._cmd_player,
            "player_queues/all": self._cmd_queues,
            "player_queues/get": self._cmd_queue,
            "dashboard/dashboards": self._cmd_empty_list,
            "dashboard/sessions": self._cmd_empty_list,
        }

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """Return the base URL clients use."""
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def requires_auth(self) -> bool:
        """Return whether clients must authenticate (schema 28 and later)."""
        return self.schema_version >= AUTH_SCHEMA_VERSION

    async def start(self) -> str:
        """Listen on 127.0.0.1 (a random port the first time, then the same one)."""
        app = web.Application()
        app.router.add_get("/info", self._http_info)
        app.router.add_post("/auth/login", self._http_login)
        app.router.add_post("/auth/logout", self._http_logout)
        app.router.add_get("/ws", self._http_ws)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0)
        await self._runner.setup()
        self._site = web.TCPSite(
            self._runner, "127.0.0.1", self.port, ssl_context=self.ssl_context, reuse_address=True
        )
        await self._site.start()
        if self.ssl_context is not None:
            self._ignore_refused_handshakes()
        if not self.port:
            server = self._site._server
            assert isinstance(server, asyncio.Server)
            self.port = server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        """Drop every connection and stop listening (connections are then refused)."""
        self.drop_connections()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._site = None
        loop = asyncio.get_running_loop()
        if self._handshake_filter is not None:
            if loop.get_exception_handler() is self._handshake_filter:
                loop.set_exception_handler(self._previous_exception_handler)
            self._handshake_filter = None

    def _ignore_refused_handshakes(self) -> None:
        """Do not report TLS handshakes that clients refuse (a certificate they distrust).

        A real server shrugs them off; asyncio in debug mode (as HA's tests run it) hands them
        to the loop's exception handler, which HA's test harness turns into a failed test.
        """
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()

        def handshake_filter(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            transport = context.get("transport")
            if (
                context.get("message") == "Error on transport creation for incoming connection"
                and isinstance(context.get("exception"), ssl.SSLError | ConnectionError)
                and transport is not None
                and transport.get_extra_info("sockname", ("", 0))[1] == self.port
            ):
                return
            if previous is None:
                loop.default_exception_handler(context)
            else:
                previous(loop, context)

        self._previous_exception_handler = previous
        self._handshake_filter = handshake_filter
        loop.set_exception_handler(handshake_filter)

    async def restart(self, *, players: Iterable[FakePlayer] | None = None) -> None:
        """Restart like the real server: connections end without a close frame.

        The server comes back on the same port; `players` replaces the players (a new state).
        Tokens and users survive, as they do in the real server's database.
        """
        await self.stop()
        if players is not None:
            self.players = {player.player_id: player for player in players}
            self.player_configs.update({player.player_id: player.name for player in players})
        await self.start()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    def drop_connections(self) -> None:
        """Cut every websocket without a close frame (a crash or a network loss)."""
        for connection in list(self._connections):
            connection.abort()

    @property
    def connected_clients(self) -> int:
        """Return the number of open websockets."""
        return sum(not connection.ws.closed for connection in self._connections)

    @property
    def authenticated_clients(self) -> int:
        """Return the number of open, authenticated websockets."""
        return sum(
            connection.authenticated and not connection.ws.closed
            for connection in self._connections
        )

    # ------------------------------------------------------------------ server info
    def server_info(self) -> dict[str, Any]:
        """Return the server info as a server of this schema serializes it."""
        info = ServerInfoMessage(
            server_id=self.server_id,
            server_version=self.server_version,
            schema_version=self.schema_version,
            min_supported_schema_version=self.min_supported_schema_version,
            base_url=self.url,
            homeassistant_addon=False,
            onboard_done=bool(self.passwords),
        ).to_dict()
        return {
            key: value
            for key, value in info.items()
            if _SERVER_INFO_FIELDS_SINCE.get(key, 0) <= self.schema_version
        }

    # ------------------------------------------------------------------ tokens
    def create_token(
        self,
        username: str = MA_USERNAME,
        name: str = "Test token",
        *,
        long_lived: bool = True,
        token: str | None = None,
    ) -> str:
        """Mint a token for a user, as login (short-lived) or `auth/token/create` do."""
        token = token or secrets.token_urlsafe(48)
        self.tokens[token] = AuthToken(
            token_id=secrets.token_urlsafe(32),
            user_id=self.users[username].user_id,
            token_hash=_hash(token),
            name=name,
            is_long_lived=long_lived,
        )
        return token

    async def revoke_token(self, token: str) -> None:
        """Revoke a token: every websocket using it gets a bare close frame 1000, as recorded."""
        revoked = self.tokens.pop(token)
        self.tokens_revoked.append(revoked.name)
        for connection in list(self._connections):
            if connection.token is revoked:
                await connection.ws.close(code=WSCloseCode.OK)

    async def revoke_all_tokens_in_use(self) -> None:
        """Revoke the token of every authenticated websocket (they get close frames 1000)."""
        in_use = {id(connection.token) for connection in self._connections if connection.token}
        for token, auth_token in list(self.tokens.items()):
            if id(auth_token) in in_use:
                await self.revoke_token(token)

    def _user_of(self, token: AuthToken) -> User:
        return next(user for user in self.users.values() if user.user_id == token.user_id)

    # ------------------------------------------------------------------ players
    def new_player(
        self, player_id: str = RECORDED_PLAYER_ID, name: str = RECORDED_PLAYER_NAME
    ) -> FakePlayer:
        """Return a player of this server (not yet added)."""
        return FakePlayer(
            player_id=player_id,
            name=name,
            user_id=self.users[MA_USERNAME].user_id if MA_USERNAME in self.users else None,
        )

    async def add_player(
        self, player_id: str = RECORDED_PLAYER_ID, name: str = RECORDED_PLAYER_NAME
    ) -> FakePlayer:
        """Add a player: `queue_added` and `player_added` to the clients."""
        player = self.new_player(player_id, name)
        self.players[player_id] = player
        self.player_configs[player_id] = name
        await self.emit_all(player.added_events())
        return player

    async def remove_player(self, player_id: str) -> None:
        """Remove a player and its configuration: `player_removed` to the clients."""
        player = self.players.pop(player_id)
        self.player_configs.pop(player_id, None)
        await self.emit_all(player.removed_events())

    async def set_available(self, player_id: str, available: bool) -> None:
        """Make a player (un)available."""
        await self.emit_all(self.players[player_id].set_available(available=available))

    async def show_player(
        self, player_id: str, *, enabled: bool = True, expose_to_ha: bool = True
    ) -> None:
        """Enable or disable a player, or expose it to Home Assistant or hide it."""
        await self.emit_all(
            self.players[player_id].show(enabled=enabled, expose_to_ha=expose_to_ha)
        )

    async def echo_skipped(self, player_id: str) -> None:
        """Send the real server's echo of a skipped track (see `FakePlayer.echo_skipped`)."""
        await self.emit_all(self.players[player_id].echo_skipped())

    async def play(self, player_id: str, tracks: Iterable[Track]) -> None:
        """Replace a player's queue and start it (until `media_ready`, title null if flicker)."""
        await self.emit_all(self.players[player_id].play(list(tracks)))

    async def media_ready(self, player_id: str, elapsed: float = 1.0) -> None:
        """Send the updates that settle a play start or a skip (1.5-3 s later in reality)."""
        await self.emit_all(self.players[player_id].media_ready(elapsed))

    async def next(self, player_id: str) -> None:
        """Skip to the next item of a player's queue."""
        await self.emit_all(self.players[player_id].next())

    async def pause(self, player_id: str) -> None:
        """Pause a player."""
        await self.emit_all(self.players[player_id].pause())

    async def resume(self, player_id: str) -> None:
        """Resume a paused player."""
        await self.emit_all(self.players[player_id].resume())

    async def stop_playback(self, player_id: str) -> None:
        """Stop a player (the queue is kept)."""
        await self.emit_all(self.players[player_id].stop())

    async def advance(self, player_id: str, seconds: float) -> None:
        """Let virtual play time pass on a player (track ends, reports, auto-clear)."""
        await self.emit_all(self.players[player_id].advance(seconds))

    async def wait_for_command(self, name: str) -> dict[str, Any]:
        """Return the first command `name` the server received, waiting for it if needed."""
        while True:
            for command in self.commands:
                if command["command"] == name:
                    return command
            self._command_received.clear()
            await self._command_received.wait()

    # ------------------------------------------------------------------ events
    async def emit(self, event: EventType | str, object_id: str | None, data: Any = None) -> None:
        """Push one event to every authenticated websocket."""
        await self.emit_all(
            [MassEvent(event=EventType(event), object_id=object_id, data=_jsonable(data))]
        )

    async def emit_all(self, events: Iterable[MassEvent]) -> None:
        """Push events, in order, to every authenticated websocket."""
        for event in events:
            await self.send_raw(json.dumps(event.to_dict()))

    async def send_raw(self, payload: str) -> None:
        """Send a text frame as is to every authenticated websocket."""
        for connection in list(self._connections):
            if connection.authenticated:
                await connection.send(payload)

    # ------------------------------------------------------------------ HTTP
    async def _http_info(self, request: web.Request) -> web.Response:
        return web.json_response(self.server_info(), headers=_CORS_HEADERS)

    async def _http_login(self, request: web.Request) -> web.Response:
        body = await request.json()
        credentials = body.get("credentials") if isinstance(body, dict) else None
        username = password = None
        if isinstance(credentials, dict):
            username, password = credentials.get("username"), credentials.get("password")
        if isinstance(username, str):
            username = username.strip().lower()
        status, answer = self._login(username, password, body)
        self.logins.append(
            LoginAttempt(
                username=username,
                success=status == 200,
                status=status,
                body_keys=frozenset(body) if isinstance(body, dict) else frozenset(),
                device_name=body.get("device_name") if isinstance(body, dict) else None,
            )
        )
        return web.json_response(answer, status=status, headers=_CORS_HEADERS)

    def _login(self, username: Any, password: Any, body: Any) -> tuple[int, dict[str, Any]]:
        if not self.passwords:
            return 403, {"success": False, "error": "Setup required"}
        if (
            not isinstance(username, str)
            or not isinstance(password, str)
            or not username
            or not password
        ):
            return 401, {"success": False, "error": MSG_CREDENTIALS_REQUIRED}
        if self.passwords.get(username) != password:
            return 401, {"success": False, "error": MSG_INVALID_LOGIN}
        device_name = body.get("device_name") or "Python aiohttp"
        token = self.create_token(username, str(device_name), long_lived=False)
        answer: dict[str, Any] = {
            "success": True,
            "token": token,
            "user": self.users[username].to_dict(),
        }
        if return_url := body.get("return_url"):
            answer["redirect_to"] = f"{return_url}&code={token}"
        return 200, answer

    async def _http_logout(self, request: web.Request) -> web.Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.tokens:
            return web.Response(status=401, text="Not authenticated")
        self.logouts.append(self.tokens[bearer].name)
        await self.revoke_token(bearer)
        return web.json_response({"success": True})

    # ------------------------------------------------------------------ websocket
    async def _http_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=self.heartbeat)
        await ws.prepare(request)
        connection = _Connection(ws, request, authenticated=not self.requires_auth)
        self._connections.append(connection)
        self.connection_count += 1
        try:
            await connection.send(json.dumps(self.server_info()))
            if not self.passwords and self.requires_auth:
                await self._send_error(
                    connection, "connection", ERROR_SETUP_REQUIRED, "Setup required"
                )
                await ws.close()
                return ws
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                await self._handle_message(connection, message.data)
        finally:
            self._connections.remove(connection)
        return ws

    async def _handle_message(self, connection: _Connection, data: str) -> None:
        try:
            command = json.loads(data)
            message_id = command["message_id"]
            name = command["command"]
        except ValueError, KeyError, TypeError:
            return  # the real server ignores frames that are not commands
        self.commands.append(command)
        self._command_received.set()
        args = command.get("args") or {}
        if name in self.unanswered_commands:
            return
        if name == "auth" and self.requires_auth:
            await self._cmd_auth(connection, message_id, args)
            return
        try:
            result = await self._run(connection, name, args)
        except MusicAssistantError as err:
            await self._send_error(connection, message_id, err.error_code, str(err))
        except (KeyError, TypeError, ValueError) as err:
            await self._send_error(connection, message_id, ERROR_UNKNOWN, repr(err))
        else:
            await self._send_result(connection, message_id, result)

    async def _run(self, connection: _Connection, name: str, args: dict[str, Any]) -> Any:
        """Run a command; errors are raised as the client's exceptions."""
        if not connection.authenticated:
            raise AuthenticationRequired(MSG_AUTH_FIRST)
        if name in self.failing_commands:
            raise self.failing_commands[name]
        if name in self.recorded_results:
            return self.recorded_results[name]
        handler = self._handlers.get(name)
        if handler is None or (name.startswith("auth/") and not self.requires_auth):
            msg = f"Invalid command: {name}"
            raise InvalidCommand(msg)
        return await handler(connection, args)

    async def _cmd_auth(
        self, connection: _Connection, message_id: str, args: dict[str, Any]
    ) -> None:
        token = args.get("token") or args.get("access_token")
        if not token:
            await self._send_error(
                connection, message_id, ERROR_AUTHENTICATION_REQUIRED, MSG_TOKEN_REQUIRED
            )
            return
        auth_token = None if self.reject_tokens else self.tokens.get(token)
        if auth_token is None:
            # the real server keeps the socket open after a failed auth
            await self._send_error(connection, message_id, ERROR_INVALID_TOKEN, MSG_INVALID_TOKEN)
            return
        connection.token, connection.authenticated = auth_token, True
        auth_token.last_used_at = datetime.now(UTC)
        user = self._user_of(auth_token)
        await self._send_result(
            connection, message_id, {"authenticated": True, "user": user.to_dict()}
        )

    async def _send_result(self, connection: _Connection, message_id: str, result: Any) -> None:
        result = _jsonable(result)
        if isinstance(result, list) and len(result) > self.partial_chunk_size:
            size = self.partial_chunk_size
            while len(result) > size:
                chunk, result = result[:size], result[size:]
                await connection.send(
                    json.dumps(SuccessResultMessage(message_id, chunk, partial=True).to_dict())
                )
        await connection.send(json.dumps(SuccessResultMessage(message_id, result).to_dict()))

    async def _send_error(
        self, connection: _Connection, message_id: str, code: int, details: str
    ) -> None:
        message = ErrorResultMessage(message_id, code, details).to_dict()
        # the real server strips the translation fields when it has a resolver (as recorded)
        for key in ("translation_key", "translation_args", "translation_owner"):
            message.pop(key, None)
        await connection.send(json.dumps(message))

    # ------------------------------------------------------------------ commands
    async def _cmd_info(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return self.server_info()

    def _token_of(self, connection: _Connection) -> AuthToken:
        assert connection.token is not None  # auth commands exist from schema 28 on
        return connection.token

    async def _cmd_me(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return self._user_of(self._token_of(connection))

    async def _cmd_tokens(self, connection: _Connection, args: dict[str, Any]) -> Any:
        user_id = args.get("user_id") or self._token_of(connection).user_id
        return [token for token in self.tokens.values() if token.user_id == user_id]

    async def _cmd_token_create(self, connection: _Connection, args: dict[str, Any]) -> Any:
        name = str(args.get("name") or "")
        user = self._user_of(self._token_of(connection))
        self.tokens_created.append(name)
        return self.create_token(user.username, name, long_lived=True)

    async def _cmd_token_revoke(self, connection: _Connection, args: dict[str, Any]) -> Any:
        token_id = args.get("token_id")
        for token, auth_token in list(self.tokens.items()):
            if auth_token.token_id == token_id:
                await self.revoke_token(token)
        return None

    async def _cmd_logout(self, connection: _Connection, args: dict[str, Any]) -> Any:
        auth_token = self._token_of(connection)
        self.logouts.append(auth_token.name)
        # As the real server: revoking the token closes every socket that uses it, this one
        # included, before the answer (which is then never sent).
        token = next(token for token, value in self.tokens.items() if value is auth_token)
        await self.revoke_token(token)
        return None

    async def _cmd_providers(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return self.providers

    async def _cmd_manifests(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return self.manifests

    async def _cmd_players(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return [player.player_model() for player in self.players.values()]

    async def _cmd_player_configs(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return [
            PlayerConfig(
                values={}, provider=PLAYER_PROVIDER, player_id=player_id, default_name=name
            )
            for player_id, name in self.player_configs.items()
            if player_id in self.players or not self.player_configs_of_found_players_only
        ]

    async def _cmd_player(self, connection: _Connection, args: dict[str, Any]) -> Any:
        player = self.players.get(args.get("player_id", ""))
        return player.player_model() if player else None

    async def _cmd_queues(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return [player.queue_model() for player in self.players.values()]

    async def _cmd_queue(self, connection: _Connection, args: dict[str, Any]) -> Any:
        player = self.players.get(args.get("queue_id", ""))
        return player.queue_model() if player else None

    async def _cmd_empty_list(self, connection: _Connection, args: dict[str, Any]) -> Any:
        return []
