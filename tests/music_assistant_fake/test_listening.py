"""A real client listening to the fake server: initial state, events, connection loss."""

import asyncio

import aiohttp
from aiohttp import WSMsgType
from music_assistant_client import MusicAssistantClient
from music_assistant_models.enums import EventType, PlaybackState
from music_assistant_models.errors import AuthenticationFailed, MusicAssistantError
import pytest

from tests.fakes.certificates import SelfSignedCertificate
from tests.fakes.music_assistant_media import PINK_BREEZE, RECORDED_PLAYER_ID, SQUARE_NOON
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import MA_TOKEN, FakeMusicAssistantServer

from .conftest import listening


async def test_initial_state_and_commands(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with listening(http_session, ma_server.url) as listener:
        client = listener.client
        assert [player.player_id for player in client.players] == [RECORDED_PLAYER_ID]
        assert [queue.queue_id for queue in client.player_queues] == [RECORDED_PLAYER_ID]
        assert [provider.domain for provider in client.providers] == ["universal_player"]
    # what music-assistant-client 1.5.1 sends for a schema-29 server, in order
    assert [command["command"] for command in ma_server.commands] == [
        "auth",
        "providers",
        "providers/manifests",
        "player_queues/all",
        "players/all",
    ]


async def test_players_added_and_removed(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with listening(http_session, ma_server.url) as listener:
        await ma_server.add_player("kitchen", "Kitchen")
        events = await listener.next_events(2)
        assert [event.event for event in events] == [EventType.QUEUE_ADDED, EventType.PLAYER_ADDED]
        assert listener.player("kitchen").name == "Kitchen"
        await ma_server.remove_player("kitchen")
        (event,) = await listener.next_events(1)
        assert (event.event, event.object_id) == (EventType.PLAYER_REMOVED, "kitchen")
        assert listener.client.players.get("kitchen") is None


async def test_play_start_shows_a_null_title_until_media_ready(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with listening(http_session, ma_server.url) as listener:
        titles: list[str | None] = []

        def on_player(event: object) -> None:
            player = listener.player(RECORDED_PLAYER_ID)
            titles.append(player.current_media.title if player.current_media else None)

        listener.client.subscribe(on_player, EventType.PLAYER_UPDATED)
        await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE, SQUARE_NOON])
        await listener.drain()
        assert titles == ["Pink Breeze", "Pink Breeze", None]
        player = listener.player(RECORDED_PLAYER_ID)
        assert player.playback_state == PlaybackState.PLAYING
        assert listener.queue(RECORDED_PLAYER_ID).current_item is None
        await ma_server.media_ready(RECORDED_PLAYER_ID)
        await listener.drain()
        assert titles[3:] == ["Pink Breeze"]  # a fresh start: no stale elapsed to correct
        queue = listener.queue(RECORDED_PLAYER_ID)
        assert queue.current_item is not None
        assert queue.current_item.media_item is not None
        assert queue.current_item.media_item.name == "Pink Breeze"
        assert queue.next_item is not None
        assert queue.next_item.name == "Harness Tones - Square Noon"


async def test_events_only_to_authenticated_sockets(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with (
        listening(http_session, ma_server.url) as listener,
        http_session.ws_connect(f"{ma_server.url}/ws") as raw,
    ):
        await raw.receive_json()  # server info
        await ma_server.emit(EventType.QUEUE_TIME_UPDATED, RECORDED_PLAYER_ID, 12)
        (event,) = await listener.next_events(1)
        assert event.data == 12
        await raw.send_json({"message_id": "1", "command": "players/all", "args": {}})
        answer = await raw.receive_json()  # the error, not the event
        assert (answer["message_id"], answer["error_code"]) == ("1", 20)


async def test_partial_results_are_joined(
    ma_server_factory: MaServerFactory, http_session: aiohttp.ClientSession
) -> None:
    server = await ma_server_factory(partial_chunk_size=2)
    server.create_token(token=MA_TOKEN)
    for number in range(5):
        await server.add_player(f"player{number}", f"Player {number}")
    async with (
        http_session.ws_connect(f"{server.url}/ws") as raw,
        listening(http_session, server.url) as listener,
    ):
        assert len(list(listener.client.players)) == 5
        await raw.receive_json()
        await raw.send_json({"message_id": "a", "command": "auth", "args": {"token": MA_TOKEN}})
        await raw.receive_json()
        await raw.send_json({"message_id": "b", "command": "players/all", "args": {}})
        chunks = [await raw.receive_json() for _ in range(3)]
    assert [len(chunk["result"]) for chunk in chunks] == [2, 2, 1]
    assert [chunk["partial"] for chunk in chunks] == [True, True, False]


async def test_revocation_closes_the_socket_with_code_1000(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.ws_connect(f"{ma_server.url}/ws") as raw:
        await raw.receive_json()
        await raw.send_json({"message_id": "a", "command": "auth", "args": {"token": MA_TOKEN}})
        assert (await raw.receive_json())["result"]["authenticated"] is True
        await ma_server.revoke_token(MA_TOKEN)
        message = await raw.receive()
        assert (message.type, message.data, message.extra) == (WSMsgType.CLOSE, 1000, "")


async def test_revocation_ends_listening_and_the_token_is_refused(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    client = MusicAssistantClient(ma_server.url, http_session, MA_TOKEN)
    ready = asyncio.Event()
    task = asyncio.create_task(client.start_listening(ready))
    await asyncio.wait_for(ready.wait(), 5)
    await ma_server.revoke_token(MA_TOKEN)
    await asyncio.wait_for(task, 5)  # a plain return, like a clean close
    with pytest.raises(AuthenticationFailed):
        await MusicAssistantClient(ma_server.url, http_session, MA_TOKEN).connect()


async def test_drop_ends_listening_without_a_close_frame(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.ws_connect(f"{ma_server.url}/ws") as raw:
        await raw.receive_json()
        ma_server.drop_connections()
        message = await raw.receive()
        assert message.type == WSMsgType.CLOSED  # no CLOSE frame came first
    client = MusicAssistantClient(ma_server.url, http_session, MA_TOKEN)
    ready = asyncio.Event()
    task = asyncio.create_task(client.start_listening(ready))
    await asyncio.wait_for(ready.wait(), 5)
    ma_server.drop_connections()
    await asyncio.wait_for(task, 5)
    assert not client.connection.connected


async def test_restart_with_a_new_state_on_the_same_port(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    url = ma_server.url
    async with listening(http_session, url) as listener:
        await ma_server.stop()
        await asyncio.wait_for(listener.task, 5)  # returns: the server is gone
    kitchen = ma_server.new_player("kitchen", "Kitchen")
    await ma_server.restart(players=[kitchen])
    assert ma_server.url == url
    async with listening(http_session, url) as listener:
        assert [player.player_id for player in listener.client.players] == ["kitchen"]
    assert ma_server.connection_count == 2


async def test_schema_below_28_needs_no_auth(
    ma_server_factory: MaServerFactory, http_session: aiohttp.ClientSession
) -> None:
    server = await ma_server_factory(schema_version=27, users={})
    await server.add_player()
    async with listening(http_session, server.url, token=None) as listener:
        assert [player.player_id for player in listener.client.players] == [RECORDED_PLAYER_ID]
        await server.emit(EventType.QUEUE_TIME_UPDATED, RECORDED_PLAYER_ID, 3)
        (event,) = await listener.next_events(1)
        assert event.data == 3
    assert "auth" not in [command["command"] for command in server.commands]
    info = listener.client.server_info
    assert info is not None
    assert info.schema_version == 27
    async with http_session.get(f"{server.url}/info") as response:
        assert "status" not in await response.json()  # a field of schema 29


async def test_tls_with_a_self_signed_certificate(
    ma_server_factory: MaServerFactory,
    http_session: aiohttp.ClientSession,
    ma_certificate: SelfSignedCertificate,
) -> None:
    server = await ma_server_factory(ssl_context=ma_certificate.server_context())
    server.create_token(token=MA_TOKEN)
    await server.add_player()
    assert server.url.startswith("https://")
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await http_session.get(f"{server.url}/info")
    async with listening(
        http_session, server.url, ssl_context=ma_certificate.client_context()
    ) as listener:
        assert [player.player_id for player in listener.client.players] == [RECORDED_PLAYER_ID]


@pytest.mark.parametrize("stall", [True, False])
async def test_initial_state_that_never_completes(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession, stall: bool
) -> None:
    """A failing or unanswered start-up command: the client never becomes ready."""
    if stall:
        ma_server.unanswered_commands.add("players/all")
    else:
        ma_server.failing_commands["providers/manifests"] = MusicAssistantError("boom")
    expected = "players/all" if stall else "providers/manifests"
    client = MusicAssistantClient(ma_server.url, http_session, MA_TOKEN)
    events: asyncio.Queue[object] = asyncio.Queue()
    client.subscribe(events.put_nowait)
    ready = asyncio.Event()
    task = asyncio.create_task(client.start_listening(ready))
    await asyncio.wait_for(ma_server.wait_for_command(expected), 5)
    # the client still listens: an event arrives, but the initial state never completes
    await ma_server.emit(EventType.QUEUE_TIME_UPDATED, RECORDED_PLAYER_ID, 1)
    await asyncio.wait_for(events.get(), 5)
    assert not ready.is_set()
    assert ma_server.commands[-1]["command"] == expected
    await client.disconnect()
    await asyncio.wait_for(task, 5)
