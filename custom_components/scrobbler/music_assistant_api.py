"""Talking to a Music Assistant server: URLs, server info, sign-in and tokens.

Shared by the config flow and the runtime of a Music Assistant entry. Everything here uses the
real ``music-assistant-client``; what the library does not offer (a login that keeps the server's
reason for a refusal) is done with the same HTTP call the library makes.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from enum import StrEnum
from http import HTTPStatus
import logging
import re
import ssl
from typing import Any, Final, override

import aiohttp
from music_assistant_client import MusicAssistantClient
from music_assistant_client.auth_helpers import get_server_info
from music_assistant_client.connection import WebsocketsConnection
from music_assistant_client.exceptions import (
    CannotConnect,
    ConnectionClosed,
    InvalidServerVersion,
    MusicAssistantClientException,
)
from music_assistant_models.api import ServerInfoMessage
from music_assistant_models.errors import (
    AuthenticationFailed,
    AuthenticationRequired,
    InvalidToken,
    MusicAssistantError,
)
from yarl import URL

from .const import LOGGER

DEFAULT_PORT: Final = 8095
# Servers from this schema on require a token (MA 2.7+).
AUTH_SCHEMA_VERSION: Final = 28
# How long one exchange with the server (connect + authenticate, a command) may take.
REQUEST_TIMEOUT: Final = 10

# The exceptions that mean "the token was refused".
AUTH_ERRORS: Final = (AuthenticationFailed, AuthenticationRequired, InvalidToken)
# Every exception the client library raises (its two unrelated hierarchies).
CLIENT_ERRORS: Final = (MusicAssistantClientException, MusicAssistantError)


class SetupError(StrEnum):
    """Why talking to a server failed, as a translation key of the config flow."""

    CANNOT_CONNECT = "cannot_connect"
    SSL_ERROR = "ssl_error"
    TLS_FAILED = "tls_failed"
    NOT_MUSIC_ASSISTANT = "not_music_assistant"
    INCOMPATIBLE_SERVER = "incompatible_server"
    INVALID_AUTH = "invalid_auth"
    LOGIN_FAILED = "login_failed"
    WRONG_SERVER = "wrong_server"


class MusicAssistantSetupError(Exception):
    """Talking to a server failed; ``error`` says why."""

    def __init__(self, error: SetupError) -> None:
        """Remember why."""
        super().__init__(error.value)
        self.error = error


def normalize_url(text: str) -> str:
    """Return the base URL of a server as typed by a user.

    A URL without a scheme is completed to ``http://`` and, when it names no port, to the
    default port 8095. Raises ValueError for anything that is not an http(s) URL of a host.
    """
    text = text.strip()
    if not text or any(character.isspace() for character in text):
        raise ValueError
    if "://" not in text:
        text = f"http://{text}"
        url = URL(text)
        if url.explicit_port is None and url.host:
            url = url.with_port(DEFAULT_PORT)
    else:
        url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError
    if url.user is not None or url.password is not None or url.query_string or url.fragment:
        raise ValueError
    return str(url).rstrip("/")


def _causes(err: BaseException) -> list[BaseException]:
    """Return an exception and the exceptions behind it (``TransportError.error``, causes)."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain:
        chain.append(current)
        wrapped = getattr(current, "error", None)
        if not isinstance(wrapped, BaseException):
            wrapped = None
        current = wrapped or current.__cause__ or current.__context__
    return chain


def classify_connect_error(err: BaseException) -> SetupError:
    """Tell a TLS failure, a non-MA answer and an unreachable server apart."""
    chain = _causes(err)
    if any(
        isinstance(cause, aiohttp.ClientConnectorCertificateError | ssl.SSLCertVerificationError)
        for cause in chain
    ):
        return SetupError.SSL_ERROR
    if any(isinstance(cause, aiohttp.ClientSSLError | ssl.SSLError) for cause in chain):
        # No certificate problem: the TLS handshake itself failed (often a plain http server).
        return SetupError.TLS_FAILED
    if any(isinstance(cause, aiohttp.ClientResponseError) for cause in chain):
        # Something answered over HTTP, but not the way MA does.
        return SetupError.NOT_MUSIC_ASSISTANT
    if not any(isinstance(cause, aiohttp.ClientError | OSError) for cause in chain):
        # The library raises CannotConnect itself for an answer other than 200.
        return SetupError.NOT_MUSIC_ASSISTANT
    return SetupError.CANNOT_CONNECT


async def async_get_server_info(session: aiohttp.ClientSession, url: str) -> ServerInfoMessage:
    """Read ``/info`` of a server; raise MusicAssistantSetupError when that fails."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            info = await get_server_info(url, aiohttp_session=session)
    except TimeoutError as err:
        raise MusicAssistantSetupError(SetupError.CANNOT_CONNECT) from err
    except CannotConnect as err:
        LOGGER.debug("Reading the server info at %s failed: %s", url, err)
        raise MusicAssistantSetupError(classify_connect_error(err)) from err
    except (ValueError, LookupError, TypeError, AttributeError) as err:
        # A 200 answer whose JSON is not a server info message.
        LOGGER.debug("The answer of %s/info is not Music Assistant's: %s", url, err)
        raise MusicAssistantSetupError(SetupError.NOT_MUSIC_ASSISTANT) from err
    if not isinstance(info.server_id, str) or not info.server_id:
        raise MusicAssistantSetupError(SetupError.NOT_MUSIC_ASSISTANT)
    return info


async def async_login(
    session: aiohttp.ClientSession, url: str, username: str, password: str, device_name: str
) -> str:
    """Sign in with a username and password; return the short-lived session token.

    Makes the call ``music_assistant_client.login`` makes (both body shapes, for old and new
    servers), but keeps the server's reason for a refusal for the log and names the session.
    """
    body = {
        "username": username,
        "password": password,
        "credentials": {"username": username, "password": password},
        "device_name": device_name,
    }
    try:
        async with (
            asyncio.timeout(REQUEST_TIMEOUT),
            session.post(f"{url}/auth/login", json=body) as response,
        ):
            status = response.status
            try:
                answer: Any = await response.json(content_type=None)
            except ValueError:
                answer = None
    except (TimeoutError, aiohttp.ClientError) as err:
        LOGGER.debug("Signing in to %s failed: %s", url, type(err).__name__)
        raise MusicAssistantSetupError(classify_connect_error(err)) from err
    reason = answer.get("error") if isinstance(answer, dict) else None
    if (
        status == HTTPStatus.OK
        and isinstance(answer, dict)
        and isinstance(token := answer.get("token", answer.get("access_token")), str)
    ):
        return token
    LOGGER.debug("Music Assistant at %s refused the sign-in (HTTP %s): %s", url, status, reason)
    if status == HTTPStatus.UNAUTHORIZED and reason in (None, "Invalid username or password"):
        raise MusicAssistantSetupError(SetupError.INVALID_AUTH)
    if status in _REFUSALS:
        raise MusicAssistantSetupError(SetupError.LOGIN_FAILED)
    raise MusicAssistantSetupError(SetupError.NOT_MUSIC_ASSISTANT)


# Answers of a Music Assistant server that refuses a sign-in (rate limit, disabled user, not
# onboarded, server error); anything else did not come from Music Assistant.
_REFUSALS: Final = frozenset(
    {
        HTTPStatus.OK,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.INTERNAL_SERVER_ERROR,
    }
)


def _server_info(client: MusicAssistantClient) -> ServerInfoMessage:
    """Return the info of the server a connected client talks to."""
    if (info := client.server_info) is None:  # pragma: no cover - connect() sets it
        raise MusicAssistantSetupError(SetupError.CANNOT_CONNECT)
    return info


def _raise_setup_error(err: BaseException) -> None:
    """Turn an error of the client library into a MusicAssistantSetupError."""
    if isinstance(err, AUTH_ERRORS):
        raise MusicAssistantSetupError(SetupError.INVALID_AUTH) from err
    if isinstance(err, InvalidServerVersion):
        raise MusicAssistantSetupError(SetupError.INCOMPATIBLE_SERVER) from err
    if isinstance(err, TimeoutError):
        raise MusicAssistantSetupError(SetupError.CANNOT_CONNECT) from err
    if isinstance(err, CannotConnect):
        raise MusicAssistantSetupError(classify_connect_error(err)) from err
    if isinstance(err, MusicAssistantError):
        # For example a guest, who may not create tokens (error 22).
        LOGGER.debug("Music Assistant refused: %s (error %s)", err, err.error_code)
        raise MusicAssistantSetupError(SetupError.LOGIN_FAILED) from err
    raise MusicAssistantSetupError(SetupError.CANNOT_CONNECT) from err


# --- Keeping secrets out of the log -------------------------------------------------------------
# At debug level the client library logs every websocket frame: the ``auth`` command carries the
# token and the answer to ``auth/token/create`` is a new token. The library's loggers are shared
# with every other user of the library (Home Assistant's own Music Assistant integration among
# them), so the filter below changes only the records logged while a connection of this
# integration sends or receives a frame: ``TidyWebsocketsConnection`` marks that in a context
# variable.

_OUR_CLIENT: ContextVar[bool] = ContextVar("scrobbler_music_assistant_client", default=False)
_SECRET_FIELD = re.compile(r"""(['"](?:token|access_token)['"]\s*:\s*)(['"])[^'"]*\2""")
_STRING_RESULT = re.compile(r"""(\\?["']result\\?["']\s*:\s*)(\\?["'])[^"'\\]*\2""")
REDACTED: Final = "**REDACTED**"
LIBRARY_LOGGERS: Final = ("music_assistant_client", "music_assistant_client.connection")


@contextmanager
def _as_our_client() -> Iterator[None]:
    """Mark what runs inside as the work of a connection of this integration."""
    marker = _OUR_CLIENT.set(True)
    try:
        yield
    finally:
        _OUR_CLIENT.reset(marker)


class RedactSecretsFilter(logging.Filter):
    """Redact tokens from the frames the client library logs for a client of this integration."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a record of our clients that may carry a token; never drop a record."""
        if not _OUR_CLIENT.get():
            return True
        try:
            message = record.getMessage()
        except TypeError, ValueError:
            return True
        redacted = _SECRET_FIELD.sub(rf"\1\2{REDACTED}\2", message)
        redacted = _STRING_RESULT.sub(rf"\1\2{REDACTED}\2", redacted)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_REDACT_FILTER = RedactSecretsFilter()


def install_log_redaction() -> None:
    """Attach the redaction filter to the loggers of the client library (once).

    Called when the first client of this integration is made, not on import.
    """
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT_FILTER not in logger.filters:
            logger.addFilter(_REDACT_FILTER)


# --- Clients ------------------------------------------------------------------------------------


# Private names of the libraries, used only where they offer no public way (each use is guarded).
_WEBSOCKET: Final = "_ws_client"  # music_assistant_client's WebsocketsConnection
_CANCEL_HEARTBEAT: Final = "_cancel_heartbeat"  # aiohttp's ClientWebSocketResponse


def _cancel_heartbeat(websocket: object) -> None:
    """Cancel the heartbeat timer of a closed websocket, if this aiohttp lets us.

    When the client closes a websocket, aiohttp re-arms its heartbeat timer on the server's
    close frame (``ClientWebSocketResponse._send_heartbeat``): the timer outlives the connection
    by up to a minute and a half, then finds the socket closed. aiohttp offers no public way to
    cancel it. Should a release rename what is used here, the timer is left to run out.
    """
    cancel = getattr(websocket, _CANCEL_HEARTBEAT, None)
    if not callable(cancel):
        return
    try:
        cancel()
    except Exception as err:  # noqa: BLE001  # a changed aiohttp must not break a disconnect
        LOGGER.debug("Could not cancel the heartbeat of a closed websocket: %r", err)


class TidyWebsocketsConnection(WebsocketsConnection):
    """The library's websocket connection, for a client of this integration.

    What the library logs while this connection sends or receives a frame has its tokens
    redacted (see ``RedactSecretsFilter``); nothing else is marked, so the callbacks the client
    calls with an event, and what they start, are not. It leaves no heartbeat timer behind when
    it closes.
    """

    # Arguments are passed on as they come, so that a release that adds some breaks nothing.
    @override
    async def send_message(self, *args: Any, **kwargs: Any) -> None:
        with _as_our_client():
            await super().send_message(*args, **kwargs)

    @override
    async def receive_message(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with _as_our_client():
            return await super().receive_message(*args, **kwargs)

    @override
    async def disconnect(self) -> None:
        # The library keeps its websocket in a private attribute; without it (a renamed
        # attribute), the disconnect is the library's own.
        websocket = getattr(self, _WEBSOCKET, None)
        try:
            await super().disconnect()
        finally:
            if isinstance(websocket, aiohttp.ClientWebSocketResponse):
                _cancel_heartbeat(websocket)


class TidyMusicAssistantClient(MusicAssistantClient):
    """A ``MusicAssistantClient`` of this integration, on a ``TidyWebsocketsConnection``."""

    def __init__(
        self, server_url: str, aiohttp_session: aiohttp.ClientSession, token: str | None
    ) -> None:
        """Create the client with a tidy connection."""
        install_log_redaction()
        super().__init__(server_url, aiohttp_session, token=token)
        self.connection = TidyWebsocketsConnection(server_url, aiohttp_session, token)


async def close_client(client: MusicAssistantClient) -> None:
    """Disconnect a client (cancels its pending commands and closes its websocket)."""
    await client.disconnect()


@asynccontextmanager
async def async_open_client(
    session: aiohttp.ClientSession, url: str, token: str | None
) -> AsyncIterator[MusicAssistantClient]:
    """Connect and authenticate a client for a few commands; always close it."""
    client = TidyMusicAssistantClient(url, session, token)
    try:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                await client.connect()
        except (TimeoutError, *CLIENT_ERRORS) as err:
            _raise_setup_error(err)
        yield client
    finally:
        await close_client(client)


async def async_check_token(
    session: aiohttp.ClientSession, url: str, token: str
) -> ServerInfoMessage:
    """Sign in with a token; return the info of the server that accepted it."""
    async with async_open_client(session, url, token) as client:
        return _server_info(client)


async def async_create_long_lived_token(
    session: aiohttp.ClientSession,
    url: str,
    session_token: str,
    token_name: str,
    server_id: str | None,
) -> tuple[str, ServerInfoMessage]:
    """Trade a session token for a long-lived one, then sign the session out.

    When ``server_id`` is given, the server must be that one (else WRONG_SERVER, and nothing
    is created). Returns the long-lived token and the server's info.
    """
    async with async_open_client(session, url, session_token) as client:
        info = _server_info(client)
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                if server_id is not None and info.server_id != server_id:
                    raise MusicAssistantSetupError(SetupError.WRONG_SERVER)
                token = await client.auth.create_token(token_name)
        except (TimeoutError, *CLIENT_ERRORS) as err:
            _raise_setup_error(err)
        finally:
            # The session token is of no further use: sign it out (best effort).
            with suppress(TimeoutError, *CLIENT_ERRORS):
                await _async_logout(client)
        if not isinstance(token, str) or not token:
            raise MusicAssistantSetupError(SetupError.NOT_MUSIC_ASSISTANT)
        return token, info


async def _async_logout(client: MusicAssistantClient) -> None:
    """Sign out: the server revokes the token the client uses.

    The server closes every socket that uses a token as it revokes it, before it answers the
    command: a connection closed right after ``auth/logout`` means the token is revoked.
    """
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            await client.auth.logout()
    except ConnectionClosed:
        LOGGER.debug("Music Assistant closed the connection as it revoked the token")


async def async_revoke_token(session: aiohttp.ClientSession, url: str, token: str) -> None:
    """Revoke a long-lived token on its server (signing out revokes the token in use)."""
    async with async_open_client(session, url, token) as client:
        try:
            await _async_logout(client)
        except (TimeoutError, *CLIENT_ERRORS) as err:
            _raise_setup_error(err)
