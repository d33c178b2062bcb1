"""The now-playing sensors of Music Assistant players, driven by the fake server."""

from datetime import timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from music_assistant_models.enums import EventType, MediaType
from music_assistant_models.errors import InvalidCommand
from music_assistant_models.media_items import Track
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.scrobbler.const import DOMAIN
from custom_components.scrobbler.music_assistant_connection import ConnectionState
from custom_components.scrobbler.music_assistant_sensor import (
    MA_DOMAIN,
    SETTLE_TIME,
    NowPlayingSensor,
)
from tests.fakes.music_assistant_media import (
    PINK_BREEZE,
    RECORDED_PLAYER_ID,
    SQUARE_NOON,
    make_track,
)
from tests.fakes.music_assistant_server import MA_SERVER_ID, FakeMusicAssistantServer

from .conftest import StateWrites, entity_id_of, ma_entry, settle, setup_ma_entry, shown, wait_for

NOW_PLAYING = f"{MA_SERVER_ID}_{RECORDED_PLAYER_ID}_now_playing"
PINK = shown("Harness Tones", "Pink Breeze")
SQUARE = shown("Harness Tones", "Square Noon")


def now_playing(hass: HomeAssistant, player_id: str = RECORDED_PLAYER_ID) -> str:
    return entity_id_of(hass, f"{MA_SERVER_ID}_{player_id}_now_playing")


async def start_playing(
    hass: HomeAssistant,
    server: FakeMusicAssistantServer,
    entry: MockConfigEntry,
    tracks: list[Track],
) -> None:
    await server.play(RECORDED_PLAYER_ID, tracks)
    await server.media_ready(RECORDED_PLAYER_ID)
    await settle(hass, entry)


async def test_two_tracks_each_written_once(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    writes = StateWrites(hass, now_playing(hass))

    await start_playing(hass, ma_server, ma_loaded, [PINK_BREEZE, SQUARE_NOON])
    state = hass.states.get(now_playing(hass))
    assert state.state == PINK
    assert {key: state.attributes[key] for key in list(state.attributes)[:9]} == {
        "title": "Pink Breeze",
        "artist": "Harness Tones",
        "album": "Second Wind",
        "album_artist": None,
        "duration": 50,
        "image_url": None,
        "media_uri": "library://track/1",
        "musicbrainz_recording_id": None,
        "playback_state": "playing",
    }

    # the whole queue: progress reports, the next track buffered, the change, the end, the clear
    await ma_server.advance(RECORDED_PLAYER_ID, 120)
    await settle(hass, ma_loaded)

    assert writes.values == [PINK, SQUARE, STATE_UNKNOWN]
    assert hass.states.get(now_playing(hass)).attributes["playback_state"] == "idle"
    assert hass.states.get(now_playing(hass)).attributes["title"] is None


async def test_pause_resume_stop(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    await start_playing(hass, ma_server, ma_loaded, [PINK_BREEZE])
    writes = StateWrites(hass, now_playing(hass))

    await ma_server.pause(RECORDED_PLAYER_ID)
    await settle(hass, ma_loaded)
    await ma_server.resume(RECORDED_PLAYER_ID)
    await settle(hass, ma_loaded)
    await ma_server.stop_playback(RECORDED_PLAYER_ID)
    await settle(hass, ma_loaded)

    assert [(state.state, state.attributes["playback_state"]) for state in writes.states] == [
        (PINK, "paused"),
        (PINK, "playing"),
        (STATE_UNKNOWN, "idle"),
    ]


async def test_skip_shows_the_next_track_at_once(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    writes = StateWrites(hass, now_playing(hass))
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE, SQUARE_NOON])
    await ma_server.media_ready(RECORDED_PLAYER_ID)
    await ma_server.advance(RECORDED_PLAYER_ID, 15)
    await ma_server.next(RECORDED_PLAYER_ID)
    await settle(hass, ma_loaded)
    assert writes.values == [PINK, SQUARE]
    await ma_server.media_ready(RECORDED_PLAYER_ID, elapsed=3)
    await settle(hass, ma_loaded)
    assert writes.values == [PINK, SQUARE]


async def test_musicbrainz_id_of_a_track_and_not_of_a_radio(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    mbid = "0b4ea0a4-8e2f-4fe8-9d3c-7d1b6b1c3e11"
    track = make_track(
        "9", "Bohemian Like You", "The Dandy Warhols", "Thirteen Tales", 211, mbid=mbid
    )
    await start_playing(hass, ma_server, ma_loaded, [track])
    state = hass.states.get(now_playing(hass))
    assert state.state == shown("The Dandy Warhols", "Bohemian Like You")
    assert state.attributes["musicbrainz_recording_id"] == mbid

    radio = make_track(
        "7", "Radio Paradise", "Radio Paradise", "Stream", 0, mbid=mbid, media_type=MediaType.RADIO
    )
    await start_playing(hass, ma_server, ma_loaded, [radio])
    state = hass.states.get(now_playing(hass))
    assert state.state == shown("Radio Paradise", "Radio Paradise")
    assert state.attributes["musicbrainz_recording_id"] is None
    assert state.attributes["media_uri"] == "library://radio/7"


async def test_players_come_and_go(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    entry = ma_loaded
    devices = dr.async_get(hass)
    await ma_server.add_player("kitchen", "Kitchen")
    await settle(hass, ma_loaded)
    kitchen = hass.states.get(now_playing(hass, "kitchen"))
    assert kitchen is not None
    assert kitchen.state == STATE_UNKNOWN
    device = devices.async_get_device_by_identifier(
        (DOMAIN, f"{MA_SERVER_ID}_kitchen"), entry.entry_id
    )
    assert device is not None
    assert device.name == "Kitchen"
    server_device = devices.async_get_device_by_identifier((DOMAIN, MA_SERVER_ID), entry.entry_id)
    assert device.via_device_id == server_device.id

    await ma_server.remove_player("kitchen")
    await settle(hass, ma_loaded)
    assert (
        devices.async_get_device_by_identifier((DOMAIN, f"{MA_SERVER_ID}_kitchen"), entry.entry_id)
        is None
    )
    assert hass.states.get(kitchen.entity_id) is None
    assert hass.states.get(now_playing(hass)) is not None


async def setup_with_a_device_of(
    hass: HomeAssistant, server: FakeMusicAssistantServer, player_id: str
) -> MockConfigEntry:
    """Set an entry up that has a device of a player from before."""
    entry = ma_entry(server)
    entry.add_to_hass(hass)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{MA_SERVER_ID}_{player_id}")}
    )
    await setup_ma_entry(hass, entry)
    await hass.async_block_till_done()
    return entry


async def test_stale_player_devices_are_removed_at_setup(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    # the server knows a player it has not found (switched off): its list is complete
    ma_server.player_configs["garage"] = "Garage"
    entry = await setup_with_a_device_of(hass, ma_server, "gone")
    assert player_device(hass, entry, "gone") is None
    assert player_device(hass, entry, RECORDED_PLAYER_ID) is not None


@pytest.mark.parametrize("found_only", [False, True])
async def test_a_list_that_may_leave_players_out_removes_nothing(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, found_only: bool
) -> None:
    """Some releases list only the players found since the start (and of loaded providers).

    Right after the server restarts, a player not found again yet is missing from their list
    although the server still knows it: a list that names no player the server has not found
    proves nothing, and no device goes.
    """
    ma_server.player_configs["garage"] = "Garage"
    ma_server.player_configs_of_found_players_only = found_only
    entry = await setup_with_a_device_of(hass, ma_server, "garage")

    assert player_device(hass, entry, "garage") is not None
    assert entry.runtime_data.known_player_ids == (
        None if found_only else {RECORDED_PLAYER_ID, "garage"}
    )


async def test_unavailable_player(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    writes = StateWrites(hass, now_playing(hass))
    await ma_server.set_available(RECORDED_PLAYER_ID, available=False)
    await settle(hass, ma_loaded)
    await ma_server.set_available(RECORDED_PLAYER_ID, available=True)
    await settle(hass, ma_loaded)
    assert writes.values == [STATE_UNAVAILABLE, STATE_UNKNOWN]


def player_device(
    hass: HomeAssistant, entry: MockConfigEntry, player_id: str
) -> DeviceEntry | None:
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{MA_SERVER_ID}_{player_id}"), entry.entry_id
    )


@pytest.mark.usefixtures("fast_backoff")
async def test_hidden_and_disabled_players_keep_their_devices(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    await ma_server.add_player("kitchen", "Kitchen")
    await settle(hass, ma_loaded)
    kitchen = now_playing(hass, "kitchen")
    device = player_device(hass, ma_loaded, "kitchen")
    assert device is not None

    await ma_server.show_player("kitchen", expose_to_ha=False)
    await settle(hass, ma_loaded)
    await ma_server.show_player("kitchen", enabled=False)
    await settle(hass, ma_loaded)
    # a complete state of a reconnected server that still has the player
    ma_server.drop_connections()
    await wait_for(lambda: ma_server.connection_count == 2, "reconnecting")
    await wait_for(lambda: ma_loaded.runtime_data.state is ConnectionState.CONNECTED, "reconnected")
    await settle(hass, ma_loaded)

    assert player_device(hass, ma_loaded, "kitchen") == device
    assert er.async_get(hass).async_get(kitchen) is not None


async def test_a_hidden_player_gets_its_sensor_once_shown(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    player = ma_server.new_player("kitchen", "Kitchen")
    player.expose_to_ha = False
    ma_server.players["kitchen"] = player
    await ma_server.emit_all(player.added_events())
    await settle(hass, ma_loaded)
    assert player_device(hass, ma_loaded, "kitchen") is None

    await ma_server.show_player("kitchen")
    await settle(hass, ma_loaded)
    assert hass.states.get(now_playing(hass, "kitchen")).state == STATE_UNKNOWN


async def test_events_cost_one_lookup(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    players = [
        await ma_server.add_player(f"room{number}", f"Room {number}") for number in range(20)
    ]
    refreshed: list[str] = []
    refresh = NowPlayingSensor._async_refresh

    def counting_refresh(self: NowPlayingSensor) -> None:
        refreshed.append(self.player_id)
        refresh(self)

    monkeypatch.setattr(NowPlayingSensor, "_async_refresh", counting_refresh)
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    await settle(hass, entry)
    scans: list[str] = []
    for module in (dr, er):
        entries_for_config_entry = module.async_entries_for_config_entry

        def counting_scan(*args: Any, _scan: Any = entries_for_config_entry) -> Any:
            scans.append("scan")
            return _scan(*args)

        monkeypatch.setattr(module, "async_entries_for_config_entry", counting_scan)
    refreshed.clear()

    room = players[7]
    await ma_server.emit(EventType.PLAYER_UPDATED, room.player_id, room.player_model())
    await ma_server.emit(EventType.QUEUE_UPDATED, room.player_id, room.queue_model())
    await settle(hass, entry)

    assert refreshed == [room.player_id, room.player_id]
    assert scans == []


async def test_the_echo_of_a_skipped_track_is_not_shown(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    writes = StateWrites(hass, now_playing(hass))
    await start_playing(hass, ma_server, ma_loaded, [PINK_BREEZE, SQUARE_NOON])
    await ma_server.advance(RECORDED_PLAYER_ID, 15)
    await ma_server.next(RECORDED_PLAYER_ID)
    # ~1.4 s after the skip the real server shows the skipped track once more
    await ma_server.echo_skipped(RECORDED_PLAYER_ID)
    await ma_server.media_ready(RECORDED_PLAYER_ID, elapsed=3)
    await settle(hass, ma_loaded)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SETTLE_TIME + 1))
    await settle(hass, ma_loaded)

    assert writes.values == [PINK, SQUARE]
    assert hass.states.get(now_playing(hass)).attributes["title"] == "Square Noon"


async def test_going_back_to_the_previous_track_is_shown(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    writes = StateWrites(hass, now_playing(hass))
    await start_playing(hass, ma_server, ma_loaded, [PINK_BREEZE, SQUARE_NOON])
    await ma_server.next(RECORDED_PLAYER_ID)
    # the server stays on the previous track (as after "previous"): shown once settled
    await ma_server.echo_skipped(RECORDED_PLAYER_ID)
    await settle(hass, ma_loaded)
    assert writes.values == [PINK, SQUARE]

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SETTLE_TIME + 1))
    await settle(hass, ma_loaded)
    assert writes.values == [PINK, SQUARE, PINK]


def ma_integration_device(
    hass: HomeAssistant, server_id: str = MA_SERVER_ID, player_id: str = RECORDED_PLAYER_ID
) -> DeviceEntry:
    """Register what Home Assistant's own Music Assistant integration has for a player."""
    ma_integration = MockConfigEntry(domain=MA_DOMAIN, unique_id=server_id)
    ma_integration.add_to_hass(hass)
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=ma_integration.entry_id,
        identifiers={(MA_DOMAIN, player_id)},
        name="Living room",
        manufacturer="squeezeplay",
    )


async def test_a_player_of_the_music_assistant_integration_joins_its_device(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    device = ma_integration_device(hass)
    entry = await setup_ma_entry(hass, ma_entry(ma_server))

    sensor = er.async_get(hass).async_get(now_playing(hass))
    assert sensor is not None
    assert sensor.device_id == device.id
    assert sensor.entity_id == "sensor.living_room_now_playing"
    assert player_device(hass, entry, RECORDED_PLAYER_ID) is None
    # the other integration's device is left as it was
    assert dr.async_get(hass).async_get(device.id) == device


async def test_an_existing_sensor_moves_to_that_device_with_its_ids(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    entity_id = now_playing(hass)
    twin = player_device(hass, entry, RECORDED_PLAYER_ID)
    assert twin is not None
    assert await hass.config_entries.async_unload(entry.entry_id)

    device = ma_integration_device(hass)
    await setup_ma_entry(hass, entry)

    assert now_playing(hass) == entity_id
    assert er.async_get(hass).async_get(entity_id).device_id == device.id
    assert dr.async_get(hass).async_get(twin.id) is None
    assert hass.states.get(entity_id).state == STATE_UNKNOWN


async def test_a_disabled_sensor_moves_to_that_device_and_leaves_no_empty_twin(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    entity_id = now_playing(hass)
    entities = er.async_get(hass)
    entities.async_update_entity(entity_id, disabled_by=er.RegistryEntryDisabler.USER)
    twin = player_device(hass, entry, RECORDED_PLAYER_ID)
    assert twin is not None
    assert await hass.config_entries.async_unload(entry.entry_id)

    device = ma_integration_device(hass)
    await setup_ma_entry(hass, entry)

    assert hass.states.get(entity_id) is None
    assert entities.async_get(entity_id).device_id == device.id
    assert dr.async_get(hass).async_get(twin.id) is None


async def test_a_player_of_another_server_keeps_its_own_device(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    other = ma_integration_device(hass, server_id="another-server")
    entry = await setup_ma_entry(hass, ma_entry(ma_server))

    device = player_device(hass, entry, RECORDED_PLAYER_ID)
    assert device is not None
    assert er.async_get(hass).async_get(now_playing(hass)).device_id == device.id != other.id


@pytest.mark.usefixtures("fast_backoff")
async def test_a_removed_player_leaves_the_other_integrations_device(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    kitchen = ma_integration_device(hass, player_id="kitchen")
    bath = dr.async_get(hass).async_get_or_create(
        config_entry_id=kitchen.config_entry_id,
        identifiers={(MA_DOMAIN, "bath")},
        name="Bath",
    )
    await ma_server.add_player("kitchen", "Kitchen")
    await ma_server.add_player("bath", "Bath")
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    entities = er.async_get(hass)
    kitchen_sensor, bath_sensor = now_playing(hass, "kitchen"), now_playing(hass, "bath")
    assert entities.async_get(kitchen_sensor).device_id == kitchen.id
    assert entities.async_get(bath_sensor).device_id == bath.id

    # removed on the server, and forgotten by the server while the connection was down
    await ma_server.remove_player("kitchen")
    await settle(hass, entry)
    del ma_server.player_configs["bath"]
    ma_server.player_configs["garage"] = "Garage"  # known, not found: the list is complete
    await ma_server.restart(players=[ma_server.players[RECORDED_PLAYER_ID]])
    await wait_for(lambda: entry.runtime_data.state is ConnectionState.CONNECTED, "connected")
    await hass.async_block_till_done()

    assert entities.async_get(kitchen_sensor) is None
    assert entities.async_get(bath_sensor) is None
    assert hass.states.get(kitchen_sensor) is None
    devices = dr.async_get(hass)
    assert devices.async_get(kitchen.id) == kitchen
    assert devices.async_get(bath.id) == bath


async def test_nothing_is_removed_when_the_server_does_not_list_its_players(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    ma_server.failing_commands["config/players"] = InvalidCommand("Invalid command")
    entry = await setup_with_a_device_of(hass, ma_server, "unlisted")

    assert player_device(hass, entry, "unlisted") is not None
    assert hass.states.get(now_playing(hass)).state == STATE_UNKNOWN


async def test_artwork_uri_and_duration_are_not_recorded(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    """They change with every track; what was played (title, artist, album) is recorded."""
    await start_playing(hass, ma_server, ma_loaded, [PINK_BREEZE])
    state = hass.states.get(now_playing(hass))
    assert state.state == PINK
    # what the recorder leaves out of the states it stores
    assert state.state_info is not None
    unrecorded = state.state_info["unrecorded_attributes"]
    assert {"image_url", "media_uri", "duration"} <= unrecorded
    assert not {"title", "artist", "album", "playback_state"} & unrecorded


async def delete_device(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry: MockConfigEntry, device_id: str
) -> bool:
    """Delete a device of an entry as a user does in the device page; True if it went."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device_id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


@pytest.mark.usefixtures("fast_backoff")
async def test_a_user_deletes_the_device_of_a_player_the_server_does_not_have(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
) -> None:
    """A server whose list may leave players out keeps their devices; a user may delete them."""
    await ma_server.add_player("kitchen", "Kitchen")
    await settle(hass, ma_loaded)
    kitchen_sensor = now_playing(hass, "kitchen")
    ma_server.player_configs_of_found_players_only = True
    await ma_server.restart(players=[ma_server.players[RECORDED_PLAYER_ID]])
    await wait_for(lambda: ma_loaded.runtime_data.state is ConnectionState.CONNECTED, "connected")
    await settle(hass, ma_loaded)
    kitchen = player_device(hass, ma_loaded, "kitchen")
    assert kitchen is not None

    living_room = player_device(hass, ma_loaded, RECORDED_PLAYER_ID)
    server = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, MA_SERVER_ID), ma_loaded.entry_id
    )
    assert not await delete_device(hass, hass_ws_client, ma_loaded, living_room.id)
    assert not await delete_device(hass, hass_ws_client, ma_loaded, server.id)
    assert await delete_device(hass, hass_ws_client, ma_loaded, kitchen.id)
    await hass.async_block_till_done()
    assert player_device(hass, ma_loaded, "kitchen") is None
    assert er.async_get(hass).async_get(kitchen_sensor) is None

    # the player comes back: it gets a new device and sensor
    await ma_server.add_player("kitchen", "Kitchen")
    await settle(hass, ma_loaded)
    assert player_device(hass, ma_loaded, "kitchen") is not None
    assert hass.states.get(now_playing(hass, "kitchen")).state == STATE_UNKNOWN
