"""Pytest fixtures of the fake Music Assistant server (listed in `tests/conftest.py`)."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path

import pytest

from .certificates import SelfSignedCertificate, make_self_signed_certificate
from .music_assistant_server import MA_TOKEN, MA_USERNAME, FakeMusicAssistantServer

type MaServerFactory = Callable[..., Awaitable[FakeMusicAssistantServer]]


def cancel_websocket_heartbeats() -> None:
    """Cancel the heartbeat timers aiohttp re-arms after a client-side websocket close.

    aiohttp 3.14 re-arms `ClientWebSocketResponse._send_heartbeat` when the server answers a
    close started by the client (every `client.disconnect()`), leaving a timer that HA's test
    harness reports as lingering. The timer would only send a ping on a closed socket.
    """
    loop = asyncio.get_running_loop()
    for handle in list(getattr(loop, "_scheduled", [])):
        if "ClientWebSocketResponse._send_heartbeat" in repr(handle):
            handle.cancel()


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
    cancel_websocket_heartbeats()


@pytest.fixture
async def ma_server(ma_server_factory: MaServerFactory) -> FakeMusicAssistantServer:
    """Return a started fake: schema 29, auth on, user `admin`, token `MA_TOKEN`, one player."""
    server = await ma_server_factory()
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    await server.add_player()
    return server
