"""Helpers for the tests of Music Assistant entries."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from ipaddress import ip_address
import ssl
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_TOKEN,
    CONF_URL,
    CONF_VERIFY_SSL,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler import music_assistant_connection
from custom_components.scrobbler.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.scrobbler.music_assistant_connection import ConnectionState
from custom_components.scrobbler.music_assistant_sensor import SEPARATOR
from tests.fakes.music_assistant_server import MA_TOKEN, FakeMusicAssistantServer


def ma_entry(
    server: FakeMusicAssistantServer,
    *,
    token: str | None = MA_TOKEN,
    unique_id: str | None = None,
    verify_ssl: bool = True,
) -> MockConfigEntry:
    """Return a config entry of a fake server (not added to hass)."""
    data = {
        CONF_KIND: EntryKind.MUSIC_ASSISTANT.value,
        CONF_URL: server.url,
        CONF_VERIFY_SSL: verify_ssl,
    }
    if token is not None:
        data[CONF_TOKEN] = token
    return MockConfigEntry(
        domain=DOMAIN,
        title="Music Assistant 127.0.0.1",
        unique_id=unique_id or server.server_id,
        data=data,
    )


def zeroconf_info(server: FakeMusicAssistantServer, **changes: str | None) -> ZeroconfServiceInfo:
    """Return what HA's zeroconf reports for a server: TXT values as strings."""
    properties = {
        key: None if value is None else str(value) for key, value in server.server_info().items()
    }
    properties.update(changes)
    return ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        port=server.port,
        hostname="mass.local.",
        type="_mass._tcp.local.",
        name=f"{server.server_id}._mass._tcp.local.",
        properties=properties,
    )


async def wait_for(predicate: Callable[[], bool], what: str = "the condition") -> None:
    """Wait until frames that arrived on the client's reader task have been handled."""
    async with asyncio.timeout(5):
        while not predicate():  # noqa: ASYNC110  # the client's frames have no event to await
            await asyncio.sleep(0.001)
    assert predicate(), what


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Stop a created entry from being set up (or unloaded), for flow tests."""
    with (
        patch("custom_components.scrobbler.async_setup_entry", return_value=True) as mock,
        patch("custom_components.scrobbler.async_unload_entry", return_value=True),
    ):
        yield mock


@pytest.fixture
async def tolerate_tls_handshake_failures() -> AsyncGenerator[None]:
    """Let the fake server's side of a refused TLS handshake pass unreported.

    When the client rejects the self-signed certificate, asyncio reports the server's broken
    handshake to the loop's exception handler, which HA's test harness turns into a failure.
    """
    loop = asyncio.get_running_loop()
    original = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, ssl.SSLError | ConnectionResetError) and "incoming connection" in str(
            context.get("message")
        ):
            return
        if original is None:
            loop.default_exception_handler(context)
        else:
            original(loop, context)

    loop.set_exception_handler(handler)
    yield
    loop.set_exception_handler(original)


type HttpServerFactory = Callable[[list[web.RouteDef]], Awaitable[str]]


@pytest.fixture
async def http_server(socket_enabled: None) -> AsyncGenerator[HttpServerFactory]:
    """Start plain HTTP servers on 127.0.0.1 with the given routes; return their URLs."""
    runners: list[web.AppRunner] = []

    async def start(routes: list[web.RouteDef]) -> str:
        app = web.Application()
        app.add_routes(routes)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        server = site._server
        assert isinstance(server, asyncio.Server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
def not_ma_server(http_server: HttpServerFactory) -> Callable[..., Awaitable[str]]:
    """Start HTTP servers that answer /info, but not as Music Assistant."""

    async def start(status: int, body: str, content_type: str = "text/html") -> str:
        async def info(request: web.Request) -> web.Response:
            return web.Response(status=status, text=body, content_type=content_type)

        return await http_server([web.get("/info", info)])

    return start


def entity_id_of(hass: HomeAssistant, unique_id: str) -> str:
    """Return the entity id of a sensor of this integration."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


class StateWrites:
    """Every state written for an entity, changed or not (a write of an equal state is reported)."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        """Start recording."""
        self.states: list[State] = []
        self.entity_id = entity_id

        @callback
        def record(event: Event[EventStateChangedData] | Event[EventStateReportedData]) -> None:
            if state := event.data["new_state"]:
                self.states.append(state)

        @callback
        def concerns(data: EventStateChangedData | EventStateReportedData) -> bool:
            return data["entity_id"] == entity_id

        self._unsubs = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, record, event_filter=concerns),
            hass.bus.async_listen(EVENT_STATE_REPORTED, record, event_filter=concerns),
        ]

    @property
    def values(self) -> list[str]:
        """Return the states written, in order."""
        return [state.state for state in self.states]

    def stop(self) -> None:
        """Stop recording."""
        for unsub in self._unsubs:
            unsub()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reconnection delays tiny (no real waiting), and the wait for initial state short."""
    monkeypatch.setattr(music_assistant_connection, "BACKOFF_BASE", 0.001)
    monkeypatch.setattr(music_assistant_connection, "BACKOFF_MAX", 0.01)


async def setup_ma_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up an entry; wait until the initial state of the server arrived.

    An entry whose token was rejected loads too, with the connection in `auth_failed`.
    """
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    if entry.state is ConfigEntryState.NOT_LOADED:
        await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if entry.state is ConfigEntryState.LOADED:
        connection = entry.runtime_data
        await wait_for(
            lambda: connection.state in (ConnectionState.CONNECTED, ConnectionState.AUTH_FAILED),
            "connected",
        )
    return entry


@pytest.fixture
async def ma_loaded(hass: HomeAssistant, ma_server: FakeMusicAssistantServer) -> MockConfigEntry:
    """Return the loaded entry of the fake server (token `MA_TOKEN`, one player)."""
    return await setup_ma_entry(hass, ma_entry(ma_server))


async def settle(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Wait until the integration handled every frame the server sent so far.

    The answer to a command comes after the frames sent before it on the same socket; the
    client then calls its subscribers with call_soon.
    """
    client = entry.runtime_data.client
    assert client is not None
    await client.send_command("info")
    await asyncio.sleep(0)
    await hass.async_block_till_done()


def shown(artist: str, title: str) -> str:
    """Return the state of a now-playing sensor for a track."""
    return f"{artist}{SEPARATOR}{title}"
