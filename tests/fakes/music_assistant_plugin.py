"""Pytest fixtures of the fake Music Assistant server (listed in `tests/conftest.py`).

* `ma_server`: a started `FakeMusicAssistantServer` (schema 29, auth on, user `MA_USERNAME` with
  password `MA_PASSWORD`, long-lived token `MA_TOKEN`, one player `RECORDED_PLAYER_ID`).
* `ma_server_factory`: `await ma_server_factory(schema_version=27, ssl_context=...)` starts more.
* `ma_certificate`: a self-signed certificate for 127.0.0.1 (`server_context()`,
  `client_context()`).
* autouse: cancels the heartbeat timers aiohttp leaves on closed client websockets.

Replays of the real server's recordings: `tests.fakes.music_assistant_recordings`.
"""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path

from aiohttp import ClientWebSocketResponse
import pytest

from .certificates import SelfSignedCertificate, make_self_signed_certificate
from .music_assistant_server import MA_TOKEN, MA_USERNAME, FakeMusicAssistantServer

type MaServerFactory = Callable[..., Awaitable[FakeMusicAssistantServer]]


def cancel_closed_websocket_heartbeats() -> None:
    """Cancel the heartbeat timers aiohttp re-arms on websockets that are already closed.

    aiohttp 3.14 re-arms `ClientWebSocketResponse._send_heartbeat` when data (the server's
    answer to a close the client started, as in every `client.disconnect()`) arrives on a
    closing websocket, leaving a 55 s timer that HA's test harness reports as lingering. The
    timer would only find the socket closed; timers of open websockets are left alone.
    """
    loop = asyncio.get_running_loop()
    for handle in list(getattr(loop, "_scheduled", [])):
        callback = getattr(handle, "_callback", None)
        if (
            getattr(callback, "__func__", None) is ClientWebSocketResponse._send_heartbeat
            and callback.__self__.closed  # type: ignore[union-attr]
        ):
            handle.cancel()


@pytest.fixture(autouse=True)
async def _ma_closed_websocket_heartbeats() -> AsyncGenerator[None]:
    """After each test (and after `hass` is torn down), drop closed websockets' timers."""
    yield
    cancel_closed_websocket_heartbeats()


@pytest.fixture
def ma_certificate(tmp_path: Path) -> SelfSignedCertificate:
    """Return a self-signed certificate for 127.0.0.1 in a temporary directory."""
    return make_self_signed_certificate(tmp_path)


@pytest.fixture
async def ma_server_factory(socket_enabled: None) -> AsyncGenerator[MaServerFactory]:
    """Start fake servers on demand (arguments as `FakeMusicAssistantServer`); stop them all."""
    servers: list[FakeMusicAssistantServer] = []

    async def start(**kwargs: object) -> FakeMusicAssistantServer:
        server = FakeMusicAssistantServer(**kwargs)  # type: ignore[arg-type]
        servers.append(server)
        await server.start()
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def ma_server(ma_server_factory: MaServerFactory) -> FakeMusicAssistantServer:
    """Return a started fake: schema 29, auth on, user `admin`, token `MA_TOKEN`, one player."""
    server = await ma_server_factory()
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    await server.add_player()
    return server
