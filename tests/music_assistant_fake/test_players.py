"""The fake's players: playback steps, availability and what the client makes of them."""

from typing import Any

import aiohttp
from music_assistant_client import MusicAssistantClient
from music_assistant_client.exceptions import InvalidServerVersion
from music_assistant_models.enums import EventType, MediaType, PlaybackState
from music_assistant_models.errors import InvalidCommand, MusicAssistantError
from music_assistant_models.event import MassEvent
import pytest

from tests.fakes.music_assistant_media import (
    HERTZ_127,
    PINK_BREEZE,
    RECORDED_PLAYER_ID,
    FakePlayer,
    make_track,
)
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_recordings import outline
from tests.fakes.music_assistant_server import MA_TOKEN, FakeMusicAssistantServer

from .conftest import listening

MBID = "0b4ea0a4-8e2f-4fe8-9d3c-7d1b6b1c3e11"


def outlines(events: list[MassEvent]) -> list[tuple[Any, ...]]:
    return [outline(event.to_dict()) for event in events]


def test_pause_resume_and_stop() -> None:
    player = FakePlayer("p", "P", flicker=False)
    player.play([PINK_BREEZE])
    player.media_ready(1)
    assert player.advance(9) == []  # no ticks while playing
    assert outlines(player.pause()) == [
        ("queue_updated", "paused", 1, 0, "Harness Tones - Pink Breeze", None),
        ("media_item_played", "Pink Breeze", 10, False, False),
        ("player_updated", "paused", "Pink Breeze"),
    ]
    assert player.advance(100) == []  # a paused player does not move
    assert outlines(player.resume()) == [
        ("queue_updated", "playing", 1, 0, "Harness Tones - Pink Breeze", None),
        ("player_updated", "playing", "Pink Breeze"),
    ]
    stop = outlines(player.stop())
    assert stop[-2:] == [
        ("media_item_played", "Pink Breeze", 10, False, False),
        ("player_updated", "idle", "Pink Breeze"),  # the title stays after a stop
    ]
    with pytest.raises(RuntimeError):
        player.pause()
    assert player.media_ready() == []


def test_skip_at_the_last_item_stops() -> None:
    player = FakePlayer("p", "P")
    player.play([PINK_BREEZE])
    player.media_ready()
    assert outlines(player.next())[-1] == ("player_updated", "idle", "Pink Breeze")


def test_advance_settles_a_pending_start() -> None:
    player = FakePlayer("p", "P")
    player.play([PINK_BREEZE, HERTZ_127])
    events = outlines(player.advance(31))
    assert events[0] == (
        "queue_updated",
        "playing",
        2,
        0,
        "Harness Tones - Pink Breeze",
        "Loopback Quartet - 127 Hertz",
    )
    assert events[-1] == ("media_item_played", "Pink Breeze", 30, False, True)


def test_play_needs_tracks() -> None:
    with pytest.raises(ValueError, match="at least one track"):
        FakePlayer("p", "P").play([])


async def test_availability_and_media_details_reach_the_client(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    track = make_track(
        "9", "Bohemian Like You", "The Dandy Warhols", "Thirteen Tales", 211, mbid=MBID
    )
    radio = make_track("10", "Radio Paradise", "Various", "Live", 0, media_type=MediaType.RADIO)
    async with listening(http_session, ma_server.url) as listener:
        await ma_server.play(RECORDED_PLAYER_ID, [track, radio])
        await ma_server.media_ready(RECORDED_PLAYER_ID)
        await listener.drain()
        item = listener.queue(RECORDED_PLAYER_ID).current_item
        assert item is not None
        assert item.media_item is not None
        assert item.media_item.mbid == MBID
        assert listener.player(RECORDED_PLAYER_ID).current_media.artist == "The Dandy Warhols"
        await ma_server.pause(RECORDED_PLAYER_ID)
        await ma_server.resume(RECORDED_PLAYER_ID)
        await ma_server.next(RECORDED_PLAYER_ID)
        await ma_server.media_ready(RECORDED_PLAYER_ID)
        await listener.drain()
        item = listener.queue(RECORDED_PLAYER_ID).current_item
        assert item is not None
        assert item.media_item is not None
        assert item.media_item.media_type == MediaType.RADIO
        await ma_server.set_available(RECORDED_PLAYER_ID, available=False)
        await listener.drain()
        assert listener.player(RECORDED_PLAYER_ID).available is False
        await ma_server.stop_playback(RECORDED_PLAYER_ID)
        await ma_server.advance(RECORDED_PLAYER_ID, 10)
        await listener.drain()
        assert listener.player(RECORDED_PLAYER_ID).playback_state == PlaybackState.IDLE


async def test_single_player_and_queue_commands(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with MusicAssistantClient(ma_server.url, http_session, MA_TOKEN) as client:
        player = await client.send_command("players/get", player_id=RECORDED_PLAYER_ID)
        queue = await client.send_command("player_queues/get", queue_id=RECORDED_PLAYER_ID)
        assert (player["player_id"], queue["queue_id"]) == (RECORDED_PLAYER_ID, RECORDED_PLAYER_ID)
        assert await client.send_command("players/get", player_id="nope") is None
        assert await client.send_command("player_queues/get", queue_id="nope") is None
        with pytest.raises(MusicAssistantError, match="unhashable"):
            await client.send_command("players/get", player_id=["not", "hashable"])


async def test_events_pushed_by_name(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with listening(http_session, ma_server.url) as listener:
        await ma_server.emit("media_item_updated", PINK_BREEZE.uri, PINK_BREEZE)
        (event,) = await listener.next_events(1)
        assert (event.event, event.object_id) == (EventType.MEDIA_ITEM_UPDATED, "library://track/1")
        assert event.data["name"] == "Pink Breeze"


async def test_schema_too_new_for_the_client(
    ma_server_factory: MaServerFactory, http_session: aiohttp.ClientSession
) -> None:
    server = await ma_server_factory(min_supported_schema_version=47)
    with pytest.raises(InvalidServerVersion):
        await MusicAssistantClient(server.url, http_session, MA_TOKEN).connect()


async def test_old_schema_has_no_auth_commands(
    ma_server_factory: MaServerFactory, http_session: aiohttp.ClientSession
) -> None:
    server = await ma_server_factory(schema_version=27)
    async with MusicAssistantClient(server.url, http_session) as client:
        with pytest.raises(InvalidCommand):
            await client.auth.get_current_user()
