"""The recordings of a real Music Assistant server, replayed through Home Assistant.

Every frame the real server pushed goes, unchanged, through the fake to the integration. The
now-playing sensor must show each track once, without flicker, and write nothing else.
"""

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from music_assistant_models.event import MassEvent
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import DOMAIN
from custom_components.scrobbler.music_assistant_connection import (
    ConnectionState,
    MusicAssistantConnection,
)
from tests.fakes.music_assistant_media import RECORDED_PLAYER_ID
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_recordings import Recording, RecordingReplay
from tests.fakes.music_assistant_server import MA_TOKEN, MA_USERNAME, FakeMusicAssistantServer

from .conftest import StateWrites, entity_id_of, ma_entry, settle, setup_ma_entry, shown, wait_for


async def replay(
    hass: HomeAssistant, ma_server_factory: MaServerFactory, name: str
) -> tuple[FakeMusicAssistantServer, StateWrites, MockConfigEntry]:
    server = await ma_server_factory()
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    recording_replay = RecordingReplay(server, Recording(name))
    entry = await setup_ma_entry(hass, ma_entry(server))
    writes = StateWrites(
        hass, entity_id_of(hass, f"{server.server_id}_{RECORDED_PLAYER_ID}_now_playing")
    )
    await recording_replay.replay_all()
    return server, writes, entry


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "play_two_tracks",
            [
                shown("Harness Tones", "Pink Breeze"),
                shown("Harness Tones", "Square Noon"),
                STATE_UNKNOWN,
            ],
        ),
        (
            "skip",
            [
                shown("Harness Tones", "Sine at Dawn"),
                shown("Loopback Quartet", "127 Hertz"),
                shown("Loopback Quartet", "Port 8095"),
                STATE_UNKNOWN,
            ],
        ),
    ],
)
async def test_each_track_shown_once(
    hass: HomeAssistant, ma_server_factory: MaServerFactory, name: str, expected: list[str]
) -> None:
    _, writes, entry = await replay(hass, ma_server_factory, name)
    await settle(hass, entry)
    assert writes.values == expected
    # while a track was shown, the player was playing
    assert [state.attributes.get("playback_state") for state in writes.states][:-1] == [
        "playing"
    ] * (len(expected) - 1)


@pytest.mark.usefixtures("fast_backoff")
async def test_revoked_token(hass: HomeAssistant, ma_server_factory: MaServerFactory) -> None:
    _, writes, entry = await replay(hass, ma_server_factory, "token_revoked")
    connection = entry.runtime_data
    await wait_for(lambda: connection.state is ConnectionState.AUTH_FAILED, "auth failed")
    await hass.async_block_till_done()
    assert writes.values == [shown("Loopback Quartet", "Port 8095"), STATE_UNAVAILABLE]
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_long_pause(hass: HomeAssistant, ma_server_factory: MaServerFactory) -> None:
    """A pause of a minute turns into idle on the real server after ~30 s; then a resume."""
    _, writes, entry = await replay(hass, ma_server_factory, "long_pause")
    await settle(hass, entry)
    port = shown("Loopback Quartet", "Port 8095")
    assert [(state.state, state.attributes["playback_state"]) for state in writes.states] == [
        (port, "playing"),
        (port, "paused"),
        (STATE_UNKNOWN, "idle"),
        (port, "playing"),
        (STATE_UNKNOWN, "idle"),
    ]


async def test_only_the_events_used_reach_the_integration(
    hass: HomeAssistant, ma_server_factory: MaServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[str] = []
    on_event = MusicAssistantConnection._async_on_event

    def recording_on_event(self: MusicAssistantConnection, event: MassEvent) -> None:
        received.append(event.event.value)
        on_event(self, event)

    monkeypatch.setattr(MusicAssistantConnection, "_async_on_event", recording_on_event)
    _, _, entry = await replay(hass, ma_server_factory, "skip")
    await settle(hass, entry)

    # the recording also has queue_items_updated and media_item_updated events: the client does
    # not even pass them on
    sent = {event["event"] for event in Recording("skip").events()}
    assert sent > set(received)
    assert set(received) == {
        "queue_updated",
        "player_updated",
        "queue_time_updated",
        "media_item_played",
    }
