"""Setting up, unloading and removing Music Assistant entries; the connection that heals itself."""

import asyncio
from datetime import timedelta
import logging
from typing import Any

from homeassistant.components import automation
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_TOKEN, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CoreState, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from music_assistant_models.enums import EventType
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.scrobbler import music_assistant_connection
from custom_components.scrobbler.const import DOMAIN
from custom_components.scrobbler.music_assistant_api import TidyMusicAssistantClient
from custom_components.scrobbler.music_assistant_connection import CONNECTING_DELAY, ConnectionState
from tests.fakes.music_assistant_media import PINK_BREEZE, RECORDED_PLAYER_ID
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import (
    MA_SERVER_ID,
    MA_TOKEN,
    MA_USERNAME,
    FakeMusicAssistantServer,
)
from tests.readme import readme_automation

from .conftest import StateWrites, entity_id_of, ma_entry, settle, setup_ma_entry, shown, wait_for

CONNECTION = f"{MA_SERVER_ID}_connection"
NOW_PLAYING = f"{MA_SERVER_ID}_{RECORDED_PLAYER_ID}_now_playing"


def errors_of_ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the errors this integration logged (the client library logs its own)."""
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith("custom_components")
    ]


async def test_setup_and_unload(hass: HomeAssistant, ma_server: FakeMusicAssistantServer) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))

    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get(entity_id_of(hass, CONNECTION))
    assert state is not None
    assert state.state == "connected"
    assert state.attributes["server_version"] == "2.8.0"
    assert state.attributes["schema_version"] == 29
    assert state.attributes["options"] == ["connected", "connecting", "disconnected", "auth_failed"]
    assert state.attributes["device_class"] == "enum"
    # the connection uses Home Assistant's shared aiohttp session
    assert entry.runtime_data.session is async_get_clientsession(hass)
    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)) is not None
    assert ma_server.authenticated_clients == 1
    # start_listening asked for the initial state, once
    assert [command["command"] for command in ma_server.commands].count("players/all") == 1

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    await wait_for(lambda: ma_server.connected_clients == 0, "the websocket closed")
    assert hass.states.get(entity_id_of(hass, CONNECTION)).state == STATE_UNAVAILABLE


async def test_server_without_sign_in(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(schema_version=27, min_supported_schema_version=27)
    await server.add_player()
    entry = await setup_ma_entry(hass, ma_entry(server, token=None))
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)).state == "unknown"


async def test_server_down_at_setup(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory()
    await server.stop()
    entry = await setup_ma_entry(hass, ma_entry(server))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == f"Cannot connect to the Music Assistant server at {server.url}"


async def test_server_too_new_at_setup(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(min_supported_schema_version=999)
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    entry = await setup_ma_entry(hass, ma_entry(server))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "too new" in (entry.reason or "")


@pytest.mark.usefixtures("fast_backoff")
@pytest.mark.parametrize("token", ["rejected-token", None])
async def test_token_rejected_at_setup(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, token: str | None
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server, token=token))

    # the entry loads, so that its connection sensor can say what is wrong
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity_id_of(hass, CONNECTION)).state == "auth_failed"
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, NOW_PLAYING) is None
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    # no further attempt, and nothing left open
    await wait_for(lambda: ma_server.connected_clients == 0, "the socket closed")
    await hass.async_block_till_done()
    assert ma_server.connection_count == 1

    # a successful reauth stores the new token and reloads the entry
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_TOKEN: MA_TOKEN})
    assert await hass.config_entries.async_reload(entry.entry_id)
    await setup_ma_entry(hass, entry)
    assert hass.states.get(entity_id_of(hass, CONNECTION)).state == "connected"
    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)).state == STATE_UNKNOWN


# The README documents this automation for a Last.fm account, and says it works the same on the
# connection sensor of a Music Assistant server.
README_AUTOMATION = "Last.fm needs attention"


async def readme_automation_on(hass: HomeAssistant, entity_id: str) -> list[ServiceCall]:
    """Set up the README's automation on a connection sensor; return the notifications it sent."""
    notifications = async_mock_service(hass, "notify", "notify")
    assert await async_setup_component(
        hass, automation.DOMAIN, readme_automation(README_AUTOMATION, entity_id)
    )
    return notifications


@pytest.mark.usefixtures("fast_backoff")
@pytest.mark.parametrize(("revoked", "notified"), [(True, 1), (False, 0)])
async def test_readme_automation_fires_for_a_token_rejected_at_startup(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, revoked: bool, notified: int
) -> None:
    """A real start: the entry sets the sensor before automations arm their triggers."""
    # the entry and its sensor from before the restart
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    entity_id = entity_id_of(hass, CONNECTION)
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.states.async_remove(entity_id)
    if revoked:  # while Home Assistant was down
        await ma_server.revoke_token(MA_TOKEN)

    hass.set_state(CoreState.not_running)
    notifications = await readme_automation_on(hass, entity_id)
    await setup_ma_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(entity_id).state == ("auth_failed" if revoked else "connected")
    assert notifications == []

    await hass.async_start()
    await hass.async_block_till_done()
    assert len(notifications) == notified


@pytest.mark.usefixtures("fast_backoff")
async def test_readme_automation_fires_for_a_token_rejected_at_runtime(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    notifications = await readme_automation_on(hass, entity_id_of(hass, CONNECTION))
    await hass.async_block_till_done()
    assert notifications == []

    await ma_server.revoke_token(MA_TOKEN)
    await wait_for(lambda: entry.runtime_data.state is ConnectionState.AUTH_FAILED, "auth failed")
    await hass.async_block_till_done()
    assert len(notifications) == 1


@pytest.mark.usefixtures("fast_backoff")
async def test_reconnects_after_a_drop(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connection_writes = StateWrites(hass, entity_id_of(hass, CONNECTION))
    player_writes = StateWrites(hass, entity_id_of(hass, NOW_PLAYING))
    caplog.set_level(logging.INFO)

    ma_server.drop_connections()
    await wait_for(lambda: connection_writes.values[-1:] == ["connected"], "reconnected")
    await hass.async_block_till_done()

    # a quick reconnection never shows `connecting`
    assert connection_writes.values == ["disconnected", "connected"]
    assert player_writes.values == [STATE_UNAVAILABLE, "unknown"]
    assert ma_server.connection_count == 2
    assert ma_server.authenticated_clients == 1
    assert caplog.text.count("is unavailable") == 1
    assert caplog.text.count("is available again") == 1


@pytest.mark.usefixtures("fast_backoff")
async def test_reconnects_after_a_restart_with_new_players(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection = ma_loaded.runtime_data
    connection_writes = StateWrites(hass, entity_id_of(hass, CONNECTION))
    caplog.set_level(logging.INFO)
    delays: list[int] = []

    def backoff_delay(attempt: int) -> float:
        delays.append(attempt)
        return 0.001

    monkeypatch.setattr(music_assistant_connection, "backoff_delay", backoff_delay)

    await ma_server.stop()
    await wait_for(lambda: ma_server.connected_clients == 0)
    # retries fail at once while the server is down: logged once, one state written
    await wait_for(lambda: len(delays) >= 5, "retrying")
    assert connection.state is ConnectionState.DISCONNECTED
    assert connection_writes.values == ["disconnected"]
    await ma_server.restart(players=[ma_server.new_player("kitchen", "Kitchen")])
    await wait_for(lambda: connection.state is ConnectionState.CONNECTED, "connected")
    await hass.async_block_till_done()

    assert connection_writes.values == ["disconnected", "connected"]
    assert caplog.text.count("is unavailable") == 1
    assert caplog.text.count("is available again") == 1
    kitchen = hass.states.get(entity_id_of(hass, f"{MA_SERVER_ID}_kitchen_now_playing"))
    assert kitchen is not None
    assert kitchen.state == "unknown"
    # the player the server knows but has not found again keeps its sensor, unavailable
    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)).state == STATE_UNAVAILABLE

    # once the server forgot it (removed while nobody listened), its device goes too, when the
    # server's list proves complete (it names a player it knows but has not found)
    del ma_server.player_configs[RECORDED_PLAYER_ID]
    ma_server.player_configs["garage"] = "Garage"
    await ma_server.restart()
    await wait_for(lambda: connection_writes.values.count("connected") == 2, "reconnected")
    await hass.async_block_till_done()
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, NOW_PLAYING) is None
    assert hass.states.get(kitchen.entity_id) is not None


@pytest.mark.usefixtures("fast_backoff")
async def test_token_revoked_at_runtime_starts_reauth(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    connection = entry.runtime_data

    await ma_server.revoke_token(MA_TOKEN)
    await wait_for(lambda: connection.state is ConnectionState.AUTH_FAILED, "auth failed")
    await hass.async_block_till_done()

    assert hass.states.get(entity_id_of(hass, CONNECTION)).state == "auth_failed"
    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    # no more retries
    count = ma_server.connection_count
    await hass.async_block_till_done()
    assert ma_server.connection_count == count == 2


@pytest.mark.usefixtures("fast_backoff")
async def test_initial_state_that_never_comes_is_retried(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.scrobbler.music_assistant_connection.INIT_TIMEOUT", 0.05)
    ma_server.unanswered_commands.add("providers/manifests")  # the client never gets ready
    entry = ma_entry(ma_server)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    connection = entry.runtime_data
    await wait_for(lambda: ma_server.connection_count >= 3, "retried")
    assert connection.state is not ConnectionState.CONNECTED
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_removal_revokes_the_token(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    await hass.config_entries.async_remove(entry.entry_id)
    assert MA_TOKEN not in ma_server.tokens
    assert ma_server.tokens_revoked == ["Scrobbler tests"]


async def test_removal_with_the_server_down(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    await ma_server.stop()
    await hass.config_entries.async_remove(entry.entry_id)
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert "Could not revoke the token" in caplog.text


async def test_removal_of_an_entry_without_token(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(schema_version=27, min_supported_schema_version=27)
    entry = await setup_ma_entry(hass, ma_entry(server, token=None))
    await hass.config_entries.async_remove(entry.entry_id)
    assert server.logouts == []


@pytest.mark.usefixtures("fast_backoff")
async def test_nothing_outlives_an_unload(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, ma_loaded: MockConfigEntry
) -> None:
    # a reconnection, then a token rejected on the next one: the client closes those sockets
    connection = ma_loaded.runtime_data
    ma_server.drop_connections()
    await wait_for(lambda: ma_server.authenticated_clients == 1, "reconnected")
    ma_server.reject_tokens = True
    ma_server.drop_connections()
    await wait_for(lambda: connection.state is ConnectionState.AUTH_FAILED, "auth failed")
    assert await hass.config_entries.async_unload(ma_loaded.entry_id)
    await hass.async_block_till_done()

    loop = asyncio.get_running_loop()
    heartbeats = [
        handle
        for handle in loop._scheduled  # type: ignore[attr-defined]
        if not handle.cancelled() and "_send_heartbeat" in repr(handle)
    ]
    assert heartbeats == []
    assert [task for task in asyncio.all_tasks() if DOMAIN in task.get_name()] == []
    assert ma_server.connected_clients == 0


@pytest.mark.usefixtures("fast_backoff")
async def test_disabled_player_and_device_survive_a_restart(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, caplog: pytest.LogCaptureFixture
) -> None:
    await ma_server.add_player("kitchen", "Kitchen")
    await ma_server.add_player("bath", "Bath")
    entry = await setup_ma_entry(hass, ma_entry(ma_server))
    entities, devices = er.async_get(hass), dr.async_get(hass)
    kitchen = entity_id_of(hass, f"{MA_SERVER_ID}_kitchen_now_playing")
    entities.async_update_entity(kitchen, disabled_by=er.RegistryEntryDisabler.USER)
    bath = devices.async_get_device_by_identifier((DOMAIN, f"{MA_SERVER_ID}_bath"), entry.entry_id)
    assert bath is not None
    devices.async_update_device(bath.id, disabled_by=dr.DeviceEntryDisabler.USER)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await setup_ma_entry(hass, entry)
    connection_writes = StateWrites(hass, entity_id_of(hass, CONNECTION))

    await ma_server.restart()
    await wait_for(lambda: connection_writes.values[-1:] == ["connected"], "reconnected")
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE])
    await ma_server.media_ready(RECORDED_PLAYER_ID)
    await settle(hass, entry)

    assert connection_writes.values == ["disconnected", "connected"]
    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)).state == shown(
        "Harness Tones", "Pink Breeze"
    )
    # the disabled ones stay disabled, with their devices
    assert hass.states.get(kitchen) is None
    assert entities.async_get(kitchen).disabled_by is er.RegistryEntryDisabler.USER
    assert devices.async_get(bath.id) is not None
    assert errors_of_ours(caplog) == []


@pytest.mark.usefixtures("fast_backoff")
async def test_a_failing_listener_ends_nothing(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connection = ma_loaded.runtime_data

    @callback
    def failing(*_args: object) -> None:
        msg = "a listener failed"
        raise RuntimeError(msg)

    ma_loaded.async_on_unload(connection.async_add_state_listener(failing))
    ma_loaded.async_on_unload(connection.async_add_player_listener(RECORDED_PLAYER_ID, failing))
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE])
    await ma_server.media_ready(RECORDED_PLAYER_ID)
    await settle(hass, ma_loaded)
    ma_server.drop_connections()
    await wait_for(lambda: ma_server.connection_count == 2, "reconnecting")
    await wait_for(lambda: connection.state is ConnectionState.CONNECTED, "connected")
    await settle(hass, ma_loaded)

    assert hass.states.get(entity_id_of(hass, NOW_PLAYING)).state == shown(
        "Harness Tones", "Pink Breeze"
    )
    assert hass.states.get(entity_id_of(hass, CONNECTION)).state == "connected"
    # logged once with its traceback, then at debug level only
    errors = errors_of_ours(caplog)
    assert len(errors) == 1
    assert errors[0].exc_info is not None


@pytest.mark.usefixtures("fast_backoff")
async def test_an_unexpected_library_error_is_survived(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connection = ma_loaded.runtime_data
    calls: list[None] = []
    start_listening = TidyMusicAssistantClient.start_listening

    async def broken_once(self: TidyMusicAssistantClient, *args: Any) -> None:
        calls.append(None)
        if len(calls) == 1:
            msg = "a renamed field"
            raise KeyError(msg)
        await start_listening(self, *args)

    monkeypatch.setattr(TidyMusicAssistantClient, "start_listening", broken_once)
    ma_server.drop_connections()
    await wait_for(lambda: len(calls) == 2, "reconnected after the error")
    await wait_for(lambda: connection.state is ConnectionState.CONNECTED, "connected")

    errors = errors_of_ours(caplog)
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[0] is KeyError


@pytest.mark.usefixtures("fast_backoff")
@pytest.mark.parametrize(
    "slow_command",
    [
        "auth",  # the server hangs while signing in
        "players/all",  # the socket is open and signed in; the initial state is slow to come
    ],
)
async def test_a_slow_attempt_shows_connecting(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
    slow_command: str,
) -> None:
    connection = ma_loaded.runtime_data
    connection_writes = StateWrites(hass, entity_id_of(hass, CONNECTION))
    ma_server.unanswered_commands.add(slow_command)

    ma_server.drop_connections()
    await wait_for(lambda: ma_server.connection_count == 2, "attempting")
    await wait_for(lambda: [c["command"] for c in ma_server.commands].count(slow_command) == 2)
    assert connection_writes.values == ["disconnected"]
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=CONNECTING_DELAY))
    await hass.async_block_till_done()
    assert connection_writes.values == ["disconnected", "connecting"]

    ma_server.unanswered_commands.discard(slow_command)
    # the socket drops: the attempt fails (no token was rejected), and the next one succeeds
    ma_server.drop_connections()
    await wait_for(lambda: connection.state is ConnectionState.CONNECTED, "connected")
    await hass.async_block_till_done()
    assert connection_writes.values == ["disconnected", "connecting", "disconnected", "connected"]
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_a_player_added_during_unload_adds_nothing(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A player that arrives while the platforms unload gets no sensor that outlives them."""
    config_entries = hass.config_entries
    unload_platforms = config_entries.async_unload_platforms

    async def player_arrives_first(entry: Any, platforms: Any) -> bool:
        assert entry.state is ConfigEntryState.UNLOAD_IN_PROGRESS
        await ma_server.add_player("kitchen", "Kitchen")
        await settle(hass, ma_loaded)
        return await unload_platforms(entry, platforms)

    monkeypatch.setattr(config_entries, "async_unload_platforms", player_arrives_first)
    assert await config_entries.async_unload(ma_loaded.entry_id)
    monkeypatch.undo()
    kitchen = f"{MA_SERVER_ID}_kitchen_now_playing"
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, kitchen) is None

    # the next setup adds it, once
    await setup_ma_entry(hass, ma_loaded)
    await settle(hass, ma_loaded)
    assert hass.states.get(entity_id_of(hass, kitchen)).state == STATE_UNKNOWN
    assert "does not generate unique IDs" not in caplog.text
    assert "already exists" not in caplog.text
    assert errors_of_ours(caplog) == []


async def test_a_listener_of_an_event_type_not_subscribed_is_refused(
    ma_loaded: MockConfigEntry,
) -> None:
    """The client is subscribed to the types the connection uses; others would never come."""
    connection = ma_loaded.runtime_data
    with pytest.raises(ValueError, match="queue_items_updated"):
        connection.async_add_event_listener(lambda _event: None, (EventType.QUEUE_ITEMS_UPDATED,))
