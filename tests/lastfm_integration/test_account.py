"""A Last.fm entry at runtime: setup, polling, sensors and the state of the connection."""

from datetime import UTC, datetime, timedelta
import time
from urllib.parse import urlsplit

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.scrobbler.const import CONF_SESSION_KEY, DOMAIN
from custom_components.scrobbler.lastfm.client import LastfmClient
from custom_components.scrobbler.lastfm.models import Scrobble, Track
from custom_components.scrobbler.lastfm_coordinator import UPDATE_INTERVAL, LastfmConfigEntry
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm
from tests.readme import readme_automation

from .conftest import approve_and_finish, start_flow, submit_api_account

NOW_PLAYING = "sensor.alice_now_playing"
LAST_SCROBBLE = "sensor.alice_last_scrobble"
SCROBBLES = "sensor.alice_scrobbles"
CONNECTION = "sensor.alice_connection"
# The entities of the account's scrobbling: the queue's figures and the switch.
SCROBBLING_ENTITIES = {
    "pending_scrobbles": "sensor.alice_pending_scrobbles",
    "dead_letters": "sensor.alice_dead_letters",
    "scrobbles_today": "sensor.alice_scrobbles_today",
    "scrobbling": "switch.alice_scrobbling",
}


def user_client(hass: HomeAssistant, server: FakeLastfm, entry: MockConfigEntry) -> LastfmClient:
    """A client of the entry's user, as another scrobbler of the same account would be."""
    return LastfmClient(
        async_get_clientsession(hass),
        API_KEY,
        API_SECRET,
        session_key=entry.data[CONF_SESSION_KEY],
        api_root=server.api_root,
    )


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one polling interval pass."""
    freezer.tick(UPDATE_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    # The coordinator polls in a background task, over a real socket.
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_sensors_show_the_account(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    client = user_client(hass, lastfm_server, lastfm_entry)
    started = int(time.time()) - 600
    await client.scrobble([Scrobble(Track("Low", "Lazy", album="Hey What"), started)])
    await client.update_now_playing(Track("Can", "Vitamin C", album="Ege Bamyasi"))

    await set_up(hass, lastfm_entry)

    assert lastfm_entry.state is ConfigEntryState.LOADED
    playing = state_of(hass, NOW_PLAYING)
    assert playing.state == "Can \N{EN DASH} Vitamin C"
    assert playing.attributes["artist"] == "Can"
    assert playing.attributes["title"] == "Vitamin C"
    assert playing.attributes["album"] == "Ege Bamyasi"
    assert "image_url" in playing.attributes
    last = state_of(hass, LAST_SCROBBLE)
    assert last.state == "Low \N{EN DASH} Lazy"
    assert last.attributes["album"] == "Hey What"
    assert last.attributes["played_at"] == datetime.fromtimestamp(started, UTC).isoformat()
    scrobbles = state_of(hass, SCROBBLES)
    assert scrobbles.state == str(lastfm_server.user(USERNAME).playcount) == "1235"
    assert scrobbles.attributes["state_class"] == "total_increasing"
    assert scrobbles.attributes["unit_of_measurement"] == "scrobbles"
    connection = state_of(hass, CONNECTION)
    assert connection.state == "connected"
    assert connection.attributes["options"] == [
        "connected",
        "auth_failed",
        "unreachable",
        "rate_limited",
    ]


async def test_one_service_device_per_account(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    await set_up(hass, lastfm_entry)
    devices = dr.async_entries_for_config_entry(device_registry, lastfm_entry.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    # Named after the user, the entity ids carry no address: sensor.alice_now_playing.
    assert device.name == USERNAME
    assert device.manufacturer == urlsplit(lastfm_server.api_root).netloc
    assert device.model == "Account"
    assert device.identifiers == {(DOMAIN, lastfm_entry.entry_id)}
    assert device.configuration_url == f"https://www.last.fm/user/{USERNAME}"
    entities = er.async_entries_for_config_entry(entity_registry, lastfm_entry.entry_id)
    # From the entry id, which never changes (the unique id embeds the API root).
    assert {entity.unique_id for entity in entities} == {
        f"{lastfm_entry.entry_id}_{key}"
        for key in ("now_playing", "last_scrobble", "scrobbles", "connection", *SCROBBLING_ENTITIES)
    }
    assert {entity.entity_id for entity in entities} == {
        NOW_PLAYING,
        LAST_SCROBBLE,
        SCROBBLES,
        CONNECTION,
        *SCROBBLING_ENTITIES.values(),
    }
    assert all(entity.device_id == device.id for entity in entities)
    connection = entity_registry.async_get(CONNECTION)
    assert connection is not None
    assert connection.entity_category is er.EntityCategory.DIAGNOSTIC


async def test_nothing_played_yet(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    await set_up(hass, lastfm_entry)
    for entity_id in (NOW_PLAYING, LAST_SCROBBLE):
        state = state_of(hass, entity_id)
        assert state.state == STATE_UNKNOWN
        assert state.attributes["artist"] is None


async def test_polls_two_calls_a_minute(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, lastfm_entry)
    before = len(lastfm_server.requests)
    await poll(hass, freezer)
    sent = lastfm_server.requests[before:]
    assert [request.method for request in sent] == ["user.getInfo", "user.getRecentTracks"]
    # user.getInfo is signed with the session key: it also checks the session.
    assert sent[0].params["sk"] == lastfm_entry.data[CONF_SESSION_KEY]
    assert sent[1].params["limit"] == "2"
    assert timedelta(seconds=60) <= UPDATE_INTERVAL

    await client_scrobbles(hass, lastfm_server, lastfm_entry, 2)
    await poll(hass, freezer)
    state = state_of(hass, SCROBBLES)
    assert state.state == "1236"


async def client_scrobbles(
    hass: HomeAssistant, server: FakeLastfm, entry: MockConfigEntry, count: int
) -> None:
    start = int(time.time()) - 3600
    await user_client(hass, server, entry).scrobble(
        [Scrobble(Track("Artist", f"Track {i}"), start + 300 * i) for i in range(count)]
    )


async def test_now_playing_set_at_once(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: LastfmConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, lastfm_entry)  # type: ignore[arg-type]
    coordinator = lastfm_entry.runtime_data.coordinator
    before = len(lastfm_server.requests)

    coordinator.async_set_now_playing(Track("Neu!", "Hallogallo", album="Neu!", duration=600))
    await hass.async_block_till_done()

    assert len(lastfm_server.requests) == before  # shown without asking Last.fm
    state = state_of(hass, NOW_PLAYING)
    assert state.state == "Neu! \N{EN DASH} Hallogallo"
    assert state.attributes["album"] == "Neu!"

    # Last.fm does not report it (yet): the sent track stays while it plays...
    await poll(hass, freezer)
    state = state_of(hass, NOW_PLAYING)
    assert state.state == "Neu! \N{EN DASH} Hallogallo"
    # ...and goes once its duration has passed.
    freezer.tick(timedelta(seconds=600))
    await poll(hass, freezer)
    state = state_of(hass, NOW_PLAYING)
    assert state.state == STATE_UNKNOWN


async def test_now_playing_reported_by_lastfm_wins(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: LastfmConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, lastfm_entry)  # type: ignore[arg-type]
    coordinator = lastfm_entry.runtime_data.coordinator
    coordinator.async_set_now_playing(Track("Neu!", "Hallogallo"))
    await user_client(hass, lastfm_server, lastfm_entry).update_now_playing(  # type: ignore[arg-type]
        Track("Faust", "Jennifer")
    )
    await poll(hass, freezer)
    state = state_of(hass, NOW_PLAYING)
    assert state.state == "Faust \N{EN DASH} Jennifer"


@pytest.mark.parametrize(
    ("failure", "connection"),
    [
        (29, "rate_limited"),
        (Failure.HTTP_429, "rate_limited"),
        (11, "unreachable"),
        (16, "unreachable"),
        (Failure.HTTP_500, "unreachable"),
        (Failure.HTTP_503, "unreachable"),
        (Failure.HTML, "unreachable"),
        (Failure.TRUNCATED_JSON, "unreachable"),
        (8, "unreachable"),
    ],
)
async def test_connection_states(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    failure: Failure | int,
    connection: str,
) -> None:
    await set_up(hass, lastfm_entry)
    lastfm_server.fail_next(failure)
    await poll(hass, freezer)

    state = state_of(hass, CONNECTION)
    assert state.state == connection
    for entity_id in (NOW_PLAYING, LAST_SCROBBLE, SCROBBLES):
        state = state_of(hass, entity_id)
        assert state.state == STATE_UNAVAILABLE

    await poll(hass, freezer)
    state = state_of(hass, CONNECTION)
    assert state.state == "connected"
    state = state_of(hass, SCROBBLES)
    assert state.state == "1234"


async def test_revoked_session_at_runtime_starts_reauth(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, lastfm_entry)
    lastfm_server.revoke_session(lastfm_entry.data[CONF_SESSION_KEY])
    await poll(hass, freezer)

    state = state_of(hass, CONNECTION)
    assert state.state == "auth_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == lastfm_entry.entry_id


@pytest.mark.parametrize("code", [9, 4])
async def test_session_rejected_at_setup_loads_and_starts_reauth(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    code: int,
) -> None:
    """The entry loads so that the connection sensor can say `auth_failed`."""
    lastfm_server.fail_next(code, method="user.getInfo")
    await set_up(hass, lastfm_entry)

    assert lastfm_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, CONNECTION).state == "auth_failed"
    for entity_id in (NOW_PLAYING, LAST_SCROBBLE, SCROBBLES):
        assert state_of(hass, entity_id).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == lastfm_entry.entry_id

    # Rejected once only: the next poll finds the session good again.
    await poll(hass, freezer)
    assert state_of(hass, CONNECTION).state == "connected"
    assert state_of(hass, SCROBBLES).state == "1234"


async def test_revoked_session_at_setup_starts_reauth(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: LastfmConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The entry loads with the session rejected; once approved again, it reloads."""
    lastfm_server.revoke_session(lastfm_entry.data[CONF_SESSION_KEY])
    await set_up(hass, lastfm_entry)
    assert state_of(hass, CONNECTION).state == "auth_failed"
    # Nothing polled yet: a track sent as now playing waits for a poll.
    lastfm_entry.runtime_data.coordinator.async_set_now_playing(Track("Can", "Halleluhwah"))
    assert state_of(hass, NOW_PLAYING).state == STATE_UNAVAILABLE
    # One more poll at most while the user has not approved: the key stays rejected.
    before = len(lastfm_server.requests)
    await poll(hass, freezer)
    await poll(hass, freezer)
    assert len(lastfm_server.requests) - before <= 1
    assert state_of(hass, CONNECTION).state == "auth_failed"

    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)

    assert result["reason"] == "reauth_successful"
    assert lastfm_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, CONNECTION).state == "connected"
    assert state_of(hass, SCROBBLES).state == "1234"
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), lastfm_entry.entry_id)
    assert device.configuration_url == f"https://www.last.fm/user/{USERNAME}"


async def test_service_down_at_setup_loads_and_polls_again(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A service down at start does not stop the account: plays are queued meanwhile."""
    lastfm_server.fail_next(Failure.HTTP_503)
    assert await hass.config_entries.async_setup(lastfm_entry.entry_id)
    await hass.async_block_till_done()
    assert lastfm_entry.state is ConfigEntryState.LOADED
    assert lastfm_entry.runtime_data.scrobbler.scrobbling
    assert state_of(hass, CONNECTION).state == "unreachable"
    assert state_of(hass, SCROBBLES).state == STATE_UNAVAILABLE
    # The service is back: the next poll brings the account.
    await poll(hass, freezer)
    assert state_of(hass, CONNECTION).state == "connected"
    assert state_of(hass, SCROBBLES).state != STATE_UNAVAILABLE


async def test_unload_and_remove(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    await set_up(hass, lastfm_entry)
    assert await hass.config_entries.async_unload(lastfm_entry.entry_id)
    assert lastfm_entry.state is ConfigEntryState.NOT_LOADED
    state = state_of(hass, SCROBBLES)
    assert state.state == STATE_UNAVAILABLE
    await hass.config_entries.async_remove(lastfm_entry.entry_id)
    assert hass.config_entries.async_get_entry(lastfm_entry.entry_id) is None


LASTFM_AUTOMATION = "Last.fm needs attention"


@pytest.mark.parametrize(("revoked", "notified"), [(True, 1), (False, 0)])
async def test_readme_automation_fires_for_a_session_rejected_at_startup(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    revoked: bool,
    notified: int,
) -> None:
    """At startup the entry sets the sensor before automations listen; the README copes."""
    notifications = async_mock_service(hass, "notify", "notify")
    hass.set_state(CoreState.not_running)
    assert await async_setup_component(
        hass, automation.DOMAIN, readme_automation(LASTFM_AUTOMATION)
    )
    if revoked:
        lastfm_server.revoke_session(lastfm_entry.data[CONF_SESSION_KEY])
    await set_up(hass, lastfm_entry)
    assert state_of(hass, CONNECTION).state == ("auth_failed" if revoked else "connected")
    assert notifications == []

    await hass.async_start()
    await hass.async_block_till_done()
    assert len(notifications) == notified


async def test_readme_automation_fires_for_a_session_rejected_at_runtime(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    lastfm_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    notifications = async_mock_service(hass, "notify", "notify")
    assert await async_setup_component(
        hass, automation.DOMAIN, readme_automation(LASTFM_AUTOMATION)
    )
    await set_up(hass, lastfm_entry)
    await poll(hass, freezer)
    assert notifications == []

    lastfm_server.revoke_session(lastfm_entry.data[CONF_SESSION_KEY])
    await poll(hass, freezer)
    assert len(notifications) == 1
    assert "alice" in notifications[0].data["message"]


async def test_entity_ids_of_a_custom_server_carry_no_address(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    """An account added through the flow: entity ids read sensor.<user>_<sensor>."""
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    result = await approve_and_finish(hass, lastfm_server, flow_id)

    entry = result["result"]
    assert entry.title == f"{USERNAME} on {urlsplit(lastfm_server.api_root).netloc}"
    assert entry.state is ConfigEntryState.LOADED
    assert sorted(hass.states.async_entity_ids(("sensor", "switch"))) == sorted(
        [NOW_PLAYING, LAST_SCROBBLE, SCROBBLES, CONNECTION, *SCROBBLING_ENTITIES.values()]
    )
