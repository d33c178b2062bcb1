"""The fake under Home Assistant's test harness: HA's shared session, no lingering timers."""

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from music_assistant_client import MusicAssistantClient

from tests.fakes.music_assistant_server import MA_TOKEN, FakeMusicAssistantServer


async def test_client_closed_while_home_assistant_stops(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """A client that closes its websocket when HA stops (after the test) leaves no timer.

    The close handshake re-arms aiohttp's heartbeat timer after `hass` is torn down; the
    plugin's autouse fixture cancels it before HA's harness looks for lingering timers.
    """
    server = FakeMusicAssistantServer()
    await server.start()
    server.create_token(token=MA_TOKEN)
    client = MusicAssistantClient(server.url, async_get_clientsession(hass), MA_TOKEN)
    await client.connect()
    assert server.authenticated_clients == 1

    async def close(event: Event) -> None:
        await client.disconnect()
        await server.stop()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, close)
