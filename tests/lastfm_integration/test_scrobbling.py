"""Scrobbling of an account: playbacks of its sources, now playing, the queue, the switch.

Playbacks are sent on the dispatcher as a Music Assistant server sends them; the clock is
frozen and moved by the test; the fake Last.fm answers over a real socket.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.scrobbler.const import CONF_SESSION_KEY, DOMAIN
from custom_components.scrobbler.lastfm.models import Track
from custom_components.scrobbler.lastfm_scrobbling import EVENT_SCROBBLED, storage_key
from custom_components.scrobbler.playback import SIGNAL_PLAYBACK, SourcePlayback
from custom_components.scrobbler.scrobbling.models import PlaybackSnapshot, PlaybackState
from tests.fakes.lastfm_server import API_SECRET, USERNAME, Failure, FakeLastfm

from .conftest import SERVER

PLAYER = "kitchen"
TRACK = Track("Low", "Lazy", album="Hey What", duration=200)  # counts after 100 s
NOW_PLAYING = "sensor.alice_now_playing"
PENDING = "sensor.alice_pending_scrobbles"
DEAD_LETTERS = "sensor.alice_dead_letters"
TODAY = "sensor.alice_scrobbles_today"
SWITCH = "switch.alice_scrobbling"
CONNECTION = "sensor.alice_connection"


pytestmark = pytest.mark.usefixtures("frozen")


def playback(
    state: PlaybackState = PlaybackState.PLAYING,
    *,
    item: str = "q1",
    track: Track = TRACK,
    position: float = 0.0,
    server: str = SERVER,
    gone: bool = False,
) -> SourcePlayback:
    """What the player does now."""
    return SourcePlayback(
        server_entry_id=server,
        snapshot=PlaybackSnapshot(
            player_id=PLAYER,
            observed_at=dt_util.utcnow().timestamp(),
            state=state,
            item_id=item,
            uri=f"library://track/{item}",
            track=track,
            position=position,
        ),
        user_id=None,
        player_name="Kitchen",
        gone=gone,
    )


async def send(hass: HomeAssistant, *playbacks: SourcePlayback) -> None:
    """Publish playbacks as a Music Assistant server does, and let the account act."""
    for item in playbacks:
        async_dispatcher_send(hass, SIGNAL_PLAYBACK, item)
    await hass.async_block_till_done(wait_background_tasks=True)


async def wait(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Let time pass: the timer of a due play fires."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def wait_until(condition: Callable[[], bool]) -> None:
    """Let the loop run until a condition holds (the test's timeout bounds it).

    The frozen clock also stops the loop's timers: yield to the loop rather than sleep.
    """
    while not condition():  # noqa: ASYNC110 (the condition is the fake's state, not an event)
        await asyncio.sleep(0)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """The queue as it is on disk."""
    data: dict[str, Any] = hass_storage[storage_key(entry.entry_id)]["data"]
    return data


def titles(entries: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(item["artist"], item["title"], item["timestamp"]) for item in entries]


def state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def test_a_qualified_play_reaches_last_fm_once_with_its_start(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, account)
    events = async_capture_events(hass, EVENT_SCROBBLED)
    started = int(dt_util.utcnow().timestamp())

    await send(hass, playback())
    playing = lastfm_server.now_playing_of(USERNAME)
    assert playing is not None
    assert (playing.artist, playing.track) == ("Low", "Lazy")
    assert state(hass, NOW_PLAYING) == "Low \N{EN DASH} Lazy"  # at once, without a poll

    await wait(hass, frozen, 60)
    await send(hass, playback(position=60.0))  # the same play goes on: nothing new
    assert lastfm_server.scrobbles_of(USERNAME) == []
    await wait(hass, frozen, 41)  # 101 s heard: the timer qualifies the play
    await wait_until(lambda: bool(events))

    [scrobble] = lastfm_server.scrobbles_of(USERNAME)
    assert (scrobble.artist, scrobble.track, scrobble.timestamp) == ("Low", "Lazy", started)
    assert len(lastfm_server.requests_of("track.updateNowPlaying")) == 1
    [event] = events
    assert event.data == {
        "config_entry_id": account.entry_id,
        "artist": "Low",
        "track": "Lazy",
        "album": "Hey What",
        "timestamp": dt_util.utc_from_timestamp(started).isoformat(),
        "player_id": PLAYER,
        "player_name": "Kitchen",
    }
    assert state(hass, TODAY) == "1"
    assert state(hass, PENDING) == "0"

    # Played on to the end, paused, seen again: still one scrobble, one now playing.
    await send(hass, playback(position=101.0))
    await wait(hass, frozen, 99)
    await send(hass, playback(PlaybackState.PAUSED, position=200.0))
    await hass.async_block_till_done()
    assert len(lastfm_server.scrobbles_of(USERNAME)) == 1
    assert len(lastfm_server.requests_of("track.scrobble")) == 1
    assert len(lastfm_server.requests_of("track.updateNowPlaying")) == 1


async def test_a_play_is_saved_in_flight_before_its_request_and_survives_a_reload(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The request hangs; the entry is reloaded; the play is checked, then sent once."""
    await set_up(hass, account)
    started = int(dt_util.utcnow().timestamp())
    lastfm_server.fail_next(Failure.HANG, method="track.scrobble")
    await send(hass, playback())
    await wait(hass, frozen, 101)
    await wait_until(lambda: len(lastfm_server.requests_of("track.scrobble")) == 1)
    assert titles(stored(hass_storage, account)["in_flight"]) == [("Low", "Lazy", started)]
    assert state(hass, PENDING) == "1"

    assert await hass.config_entries.async_unload(account.entry_id)
    assert titles(stored(hass_storage, account)["in_flight"]) == [("Low", "Lazy", started)]
    await set_up(hass, account)
    await wait_until(lambda: account.runtime_data.scrobbler.counts().scrobbled_today == 1)

    assert [s.timestamp for s in lastfm_server.scrobbles_of(USERNAME)] == [started]
    assert lastfm_server.requests_of("user.getRecentTracks")  # checked before sending again
    stored_queue = stored(hass_storage, account)
    assert stored_queue["pending"] == stored_queue["in_flight"] == []


async def test_playbacks_of_other_servers_are_not_tracked(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    await send(hass, playback(server="another-server"))
    assert lastfm_server.requests_of("track.updateNowPlaying") == []


async def test_switch_off_stops_tracking_and_survives_a_reload(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, account)
    assert state(hass, SWITCH) == "on"
    await send(hass, playback())
    assert len(lastfm_server.requests_of("track.updateNowPlaying")) == 1

    await hass.services.async_call("switch", "turn_off", {"entity_id": SWITCH}, blocking=True)
    assert state(hass, SWITCH) == "off"
    await wait(hass, frozen, 150)  # the play it had heard is forgotten: no timer
    await send(hass, playback(item="q2", track=Track("Can", "Vitamin C", duration=200)))
    await wait(hass, frozen, 150)
    assert lastfm_server.requests_of("track.scrobble") == []
    assert len(lastfm_server.requests_of("track.updateNowPlaying")) == 1

    assert await hass.config_entries.async_reload(account.entry_id)
    await hass.async_block_till_done()
    assert state(hass, SWITCH) == "off"
    await send(hass, playback(item="q3"))
    assert len(lastfm_server.requests_of("track.updateNowPlaying")) == 1

    await hass.services.async_call("switch", "turn_on", {"entity_id": SWITCH}, blocking=True)
    assert state(hass, SWITCH) == "on"
    await send(hass, playback(item="q4"))
    assert len(lastfm_server.requests_of("track.updateNowPlaying")) == 2


async def test_what_was_queued_is_sent_while_the_switch_is_off(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    await hass.services.async_call("switch", "turn_off", {"entity_id": SWITCH}, blocking=True)
    await hass.services.async_call(
        DOMAIN,
        "scrobble",
        {"config_entry_id": account.entry_id, "artist": "Low", "track": "Lazy"},
        blocking=True,
    )
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 1)


async def test_a_revoked_session_asks_for_a_reauth_and_keeps_the_play(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, account)
    lastfm_server.revoke_session(account.data[CONF_SESSION_KEY])
    await send(hass, playback())  # now playing fails quietly
    await wait(hass, frozen, 101)
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    await hass.async_block_till_done()

    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert state(hass, CONNECTION) == "auth_failed"
    assert state(hass, PENDING) == "1"
    assert lastfm_server.scrobbles_of(USERNAME) == []


async def test_player_gone_keeps_a_qualified_play(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The server goes away after 101 s heard: the play counts, once."""
    await set_up(hass, account)
    await send(hass, playback())
    frozen.tick(timedelta(seconds=101))  # no timer fired: the gone playback decides
    await send(hass, playback(gone=True))
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 1)


async def test_no_secret_in_the_logs_of_scrobbling(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    session = account.data[CONF_SESSION_KEY]
    await set_up(hass, account)
    await send(hass, playback())
    await wait(hass, frozen, 101)
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 1)
    lastfm_server.ignore_next(1)
    await hass.services.async_call(
        DOMAIN,
        "scrobble",
        {"config_entry_id": account.entry_id, "artist": "Filtered", "track": "Out"},
        blocking=True,
    )
    await wait_until(lambda: account.runtime_data.scrobbler.counts().dead_letters == 1)
    lastfm_server.revoke_session(session)
    await send(hass, playback(item="q2"))
    await hass.async_block_till_done()

    assert "track.scrobble" in caplog.text  # the logs were captured, at DEBUG
    for secret in (API_SECRET, session):
        assert secret not in caplog.text


async def test_options_change_when_a_play_counts(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """At 90 %, capped at 10 minutes: 101 s of a 200 s track are not enough, 181 s are."""
    await set_up(hass, account)
    result = await hass.config_entries.options.async_init(account.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"percent": 90.0, "cap_seconds": 600.0, "min_length_seconds": 30.0},
    )
    await hass.async_block_till_done()
    assert account.options == {"percent": 90.0, "cap_seconds": 600.0, "min_length_seconds": 30.0}

    await send(hass, playback())
    await wait(hass, frozen, 101)
    assert account.runtime_data.scrobbler.counts().pending == 0
    assert lastfm_server.requests_of("track.scrobble") == []
    await wait(hass, frozen, 80)
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 1)


async def test_a_reload_mid_track_neither_repeats_nor_loses_the_play(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Changing options or sources reloads the account: the play being heard goes on."""
    await set_up(hass, account)
    long_track = Track("Low", "Dinosaur Act", duration=900)  # counts after 240 s
    await send(hass, playback(track=long_track))
    await wait(hass, frozen, 120)
    # Reloaded before the threshold: the 120 s heard are kept.
    assert await hass.config_entries.async_reload(account.entry_id)
    await hass.async_block_till_done()
    await wait(hass, frozen, 121)
    await wait_until(lambda: bool(lastfm_server.scrobbles_of(USERNAME)))
    assert len(lastfm_server.scrobbles_of(USERNAME)) == 1
    # Reloaded after it: no second scrobble of the same play.
    assert await hass.config_entries.async_reload(account.entry_id)
    await hass.async_block_till_done()
    await wait(hass, frozen, 300)
    assert len(lastfm_server.scrobbles_of(USERNAME)) == 1


async def test_the_switch_off_and_on_mid_track_does_not_scrobble_it_twice(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, account)
    long_track = Track("Low", "Dinosaur Act", duration=900)
    await send(hass, playback(track=long_track))
    await wait(hass, frozen, 241)
    await wait_until(lambda: bool(lastfm_server.scrobbles_of(USERNAME)))
    for service in ("turn_off", "turn_on"):
        await hass.services.async_call("switch", service, {"entity_id": SWITCH}, blocking=True)
    # Tracking starts again on the same item: 240 s more would count it again.
    await send(hass, playback(track=long_track, position=241.0))
    await wait(hass, frozen, 300)
    assert len(lastfm_server.scrobbles_of(USERNAME)) == 1
