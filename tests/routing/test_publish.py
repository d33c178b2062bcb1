"""A Music Assistant entry publishes its players' playback on SIGNAL_PLAYBACK."""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from music_assistant_models.enums import EventType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.music_assistant_connection import ConnectionState
from custom_components.scrobbler.playback import SIGNAL_PLAYBACK, SourcePlayback
from custom_components.scrobbler.scrobbling.models import PlaybackState
from tests.fakes.music_assistant_media import (
    PINK_BREEZE,
    RECORDED_PLAYER_ID,
    RECORDED_PLAYER_NAME,
    SQUARE_NOON,
)
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_recordings import Recording, RecordingReplay
from tests.fakes.music_assistant_server import MA_TOKEN, MA_USERNAME, FakeMusicAssistantServer
from tests.music_assistant.conftest import ma_entry, settle, setup_ma_entry, wait_for


class Published:
    """Every playback sent on the signal."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start recording."""
        self.all: list[SourcePlayback] = []

        @callback
        def record(playback: SourcePlayback) -> None:
            self.all.append(playback)

        self.stop = async_dispatcher_connect(hass, SIGNAL_PLAYBACK, record)

    def of(self, player_id: str) -> list[SourcePlayback]:
        """Return what was published of one player."""
        return [playback for playback in self.all if playback.snapshot.player_id == player_id]


@pytest.fixture
async def published(hass: HomeAssistant) -> Published:
    """Record what is published, from before any entry is set up."""
    return Published(hass)


@pytest.fixture
async def kitchen(published: Published, ma_with_kitchen: MockConfigEntry) -> MockConfigEntry:
    """The loaded entry of the fake server with a player `kitchen`, published from the start."""
    return ma_with_kitchen


async def loaded(hass: HomeAssistant, server: FakeMusicAssistantServer) -> MockConfigEntry:
    return await setup_ma_entry(hass, ma_entry(server))


async def test_playback_of_a_player(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, published: Published
) -> None:
    entry = await loaded(hass, ma_server)
    # what the player does on connection: nothing yet
    first = published.of(RECORDED_PLAYER_ID)[0]
    assert first.server_entry_id == entry.entry_id
    assert first.player_name == RECORDED_PLAYER_NAME
    assert first.snapshot.state is PlaybackState.IDLE
    assert not first.gone

    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE, SQUARE_NOON])
    await ma_server.media_ready(RECORDED_PLAYER_ID)
    await settle(hass, entry)
    last = published.of(RECORDED_PLAYER_ID)[-1]
    assert last.snapshot.state is PlaybackState.PLAYING
    assert last.snapshot.track is not None
    assert last.snapshot.track.title == "Pink Breeze"
    assert last.snapshot.track.artist == "Harness Tones"
    assert last.snapshot.uri == "library://track/1"
    assert last.snapshot.monotonic is not None
    # no report of the server yet: the user is unknown
    assert last.user_id is None

    # the progress report names the user; every later playback carries it
    await ma_server.advance(RECORDED_PLAYER_ID, 31)
    await ma_server.pause(RECORDED_PLAYER_ID)
    await settle(hass, entry)
    last = published.of(RECORDED_PLAYER_ID)[-1]
    assert last.snapshot.state is PlaybackState.PAUSED
    assert last.user_id == ma_server.users[MA_USERNAME].user_id
    assert not any(playback.gone for playback in published.all)


async def test_gone_on_a_drop_and_back_after(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    published: Published,
    fast_backoff: None,
) -> None:
    entry = await loaded(hass, ma_server)
    connection = entry.runtime_data
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE])
    await ma_server.media_ready(RECORDED_PLAYER_ID)
    await settle(hass, entry)
    count = len(published.all)

    ma_server.drop_connections()
    await wait_for(lambda: connection.state is not ConnectionState.CONNECTED, "dropped")
    gone = [playback for playback in published.all[count:] if playback.gone]
    assert [playback.snapshot.player_id for playback in gone] == [RECORDED_PLAYER_ID]
    assert gone[0].player_name == RECORDED_PLAYER_NAME
    assert gone[0].server_entry_id == entry.entry_id

    # back: the player is published again, playing
    await wait_for(lambda: connection.state is ConnectionState.CONNECTED, "reconnected")
    last = published.of(RECORDED_PLAYER_ID)[-1]
    assert not last.gone
    assert last.snapshot.state is PlaybackState.PLAYING


async def test_gone_on_unload_and_removal(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    published: Published,
    kitchen: MockConfigEntry,
) -> None:
    assert published.of("kitchen")

    await ma_server.remove_player("kitchen")
    await settle(hass, kitchen)
    assert published.of("kitchen")[-1].gone
    assert published.of("kitchen")[-1].player_name == "Kitchen"
    published_of_kitchen = len(published.of("kitchen"))

    assert await hass.config_entries.async_unload(kitchen.entry_id)
    await hass.async_block_till_done()
    gone = [playback for playback in published.all if playback.gone]
    assert [playback.snapshot.player_id for playback in gone] == ["kitchen", RECORDED_PLAYER_ID]
    # a player removed is not gone twice, nothing is published after the unload
    assert len(published.of("kitchen")) == published_of_kitchen
    count = len(published.all)
    await ma_server.add_player("office", "Office")
    await hass.async_block_till_done()
    assert len(published.all) == count


async def test_one_subscription_per_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, published: Published
) -> None:
    entry = await loaded(hass, ma_server)
    second = Published(hass)
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE])
    await settle(hass, entry)
    # each listener gets the same playbacks, built once
    assert second.all
    assert published.all[-len(second.all) :] == second.all
    # one listener of the playback events on the connection, however many receive the signal
    playback_listeners = [
        listener
        for listener, event_types in entry.runtime_data._event_listeners
        if EventType.MEDIA_ITEM_PLAYED in event_types
    ]
    assert len(playback_listeners) == 1


async def test_a_recording_of_the_real_server(
    hass: HomeAssistant, ma_server_factory: MaServerFactory, published: Published
) -> None:
    """The frames of a real server: its tracks are published, with the user of the plays."""
    server = await ma_server_factory()
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    recording = Recording("skip")
    entry = await setup_ma_entry(hass, ma_entry(server))
    await RecordingReplay(server, recording).replay_all()
    await settle(hass, entry)

    users = {
        event["data"]["userid"]
        for event in recording.events()
        if event["event"] == "media_item_played"
    }
    (user,) = users
    titles = [
        playback.snapshot.track.title
        for playback in published.of(RECORDED_PLAYER_ID)
        if playback.snapshot.track is not None and playback.snapshot.state is PlaybackState.PLAYING
    ]
    assert list(dict.fromkeys(titles)) == ["Sine at Dawn", "127 Hertz", "Port 8095"]
    # the user is known from the first report of the server on
    first_report = next(
        index
        for index, playback in enumerate(published.of(RECORDED_PLAYER_ID))
        if playback.user_id is not None
    )
    assert {playback.user_id for playback in published.of(RECORDED_PLAYER_ID)[first_report:]} == {
        user
    }


async def test_a_report_that_names_its_player(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    published: Published,
    kitchen: MockConfigEntry,
) -> None:
    """Newer servers name the player (its queue) in a report: that player's user it is."""
    report = {
        "uri": "library://track/elsewhere",
        "media_type": "track",
        "name": "Elsewhere",
        "duration": 200,
        "seconds_played": 40,
        "fully_played": False,
        "is_playing": True,
        "userid": "u9",
        "player_id": "kitchen",
    }
    await ma_server.emit(EventType.MEDIA_ITEM_PLAYED, report["uri"], report)
    await ma_server.set_available("kitchen", available=False)
    await settle(hass, kitchen)
    assert published.of("kitchen")[-1].user_id == "u9"
    assert all(playback.user_id is None for playback in published.of(RECORDED_PLAYER_ID))
