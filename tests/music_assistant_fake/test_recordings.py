"""The fake against the recordings of the real server: replays and reenactments."""

import asyncio
from typing import Any

import aiohttp
from music_assistant_client import MusicAssistantClient
from music_assistant_models.errors import AuthenticationFailed
import pytest

from tests.fakes.music_assistant_media import RECORDED_PLAYER_ID
from tests.fakes.music_assistant_recordings import (
    RECORDING_NAMES,
    REENACTMENTS,
    Recording,
    RecordingReplay,
    outline,
    playback_events,
)
from tests.fakes.music_assistant_server import MA_TOKEN, FakeMusicAssistantServer

from .conftest import listening


@pytest.mark.parametrize("name", RECORDING_NAMES)
async def test_replay_sends_the_recorded_events(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession, name: str
) -> None:
    recording = Recording(name)
    replay = RecordingReplay(ma_server, recording)
    async with listening(http_session, ma_server.url) as listener:
        # the client's initial state is the recorded one, not the fake's own player
        recorded_players = recording.initial_results()["players/all"]
        assert [player.to_dict()["name"] for player in listener.client.players] == [
            player["name"] for player in recorded_players
        ]
        await replay.replay_all()
        if name == "token_revoked":  # the replay ends with the revocation's close frame
            await asyncio.wait_for(listener.task, 5)
            await asyncio.sleep(0)
            received = [listener.events.get_nowait() for _ in range(listener.events.qsize())]
        else:
            received = await listener.drain()
    expected = recording.events()
    assert len(expected) > 10
    # the client's caches add the legacy aliases to the data they parse: compare what was sent
    assert [
        (event.event.value, event.object_id, _sent_part(event.data, recorded["data"]))
        for event, recorded in zip(received, expected, strict=True)
    ] == [(event["event"], event["object_id"], event["data"]) for event in expected]


def _sent_part(received: Any, recorded: Any) -> Any:
    if isinstance(received, dict) and isinstance(recorded, dict):
        return {key: received.get(key) for key in recorded}
    return received


async def test_replay_frames_are_verbatim(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    recording = Recording("skip")
    replay = RecordingReplay(ma_server, recording)
    async with http_session.ws_connect(f"{ma_server.url}/ws") as ws:
        assert await ws.receive_json() == {**recording.server_info(), "base_url": ma_server.url}
        await ws.send_json({"message_id": "a", "command": "auth", "args": {"token": MA_TOKEN}})
        await ws.receive_json()
        await replay.replay_until(30)
        assert not replay.done
        sent = [frame.message for frame in replay.frames[: replay.position]]
        assert [frame.t <= 30 for frame in replay.frames] == [True] * replay.position + [False] * (
            len(replay.frames) - replay.position
        )
        received = [await ws.receive_json() for _ in sent]
        assert received == sent
        await replay.replay_all()
        assert replay.done


async def test_replay_of_the_revocation(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    """The recorded close 1000, then the recorded answers to the revoked token."""
    recording = Recording("token_revoked")
    replay = RecordingReplay(ma_server, recording)
    async with listening(http_session, ma_server.url) as listener:
        await replay.replay_all()
        await asyncio.wait_for(listener.task, 5)  # start_listening returns: a clean close
    with pytest.raises(AuthenticationFailed):
        await MusicAssistantClient(ma_server.url, http_session, MA_TOKEN).connect()
    reconnect = [
        record["msg"] for record in recording.records if record.get("conn") == 2 and "msg" in record
    ]
    async with http_session.ws_connect(f"{ma_server.url}/ws") as ws:
        await ws.receive_json()
        for command, answer in zip(reconnect[1::2], reconnect[2::2], strict=True):
            await ws.send_json(command)
            assert await ws.receive_json() == answer


async def test_replay_at_recorded_pace(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    recording = Recording("play_two_tracks")
    replay = RecordingReplay(ma_server, recording, speed=1000)
    async with http_session.ws_connect(f"{ma_server.url}/ws") as ws:
        await ws.receive_json()
        await ws.send_json({"message_id": "a", "command": "auth", "args": {"token": MA_TOKEN}})
        await ws.receive_json()
        await replay.replay_until(60)
        sent = [frame.message for frame in replay.frames[: replay.position]]
        assert [await ws.receive_json() for _ in sent] == sent
    assert replay.frames[replay.position].t > 60


@pytest.mark.parametrize("name", RECORDING_NAMES)
async def test_the_fake_plays_like_the_real_server(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession, name: str
) -> None:
    """Act the recorded scenario out with the fake's player: what clients see matches."""
    async with listening(http_session, ma_server.url) as listener:
        await REENACTMENTS[name](ma_server, RECORDED_PLAYER_ID)
        received = await listener.drain()
    expected = [outline(event) for event in playback_events(Recording(name))]
    assert [outline(event.to_dict()) for event in received] == expected


async def test_replay_can_move_the_recording_to_now(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    recording = Recording("play_two_tracks")
    offset = 1000.5
    replay = RecordingReplay(ma_server, recording, clock_offset=offset)
    async with listening(http_session, ma_server.url) as listener:
        await replay.replay_until(8)
        await listener.drain()
    player = listener.player(RECORDED_PLAYER_ID)
    recorded = [frame.message for frame in replay.frames[: replay.position] if frame.message]
    last_player = next(m for m in reversed(recorded) if m["event"] == "player_updated")
    media = last_player["data"]["current_media"]
    assert player.current_media is not None
    assert player.current_media.elapsed_time_last_updated == (
        media["elapsed_time_last_updated"] + offset
    )
    assert player.current_media.title == media["title"] == "Pink Breeze"
