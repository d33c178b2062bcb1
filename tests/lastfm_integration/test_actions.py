"""The actions: love, unlove, scrobble and retry dead letters, with their errors."""

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.scrobbler.const import CONF_SESSION_KEY, DOMAIN
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm

from .test_scrobbling import DEAD_LETTERS, PENDING, playback, send, set_up, state, wait_until

pytestmark = pytest.mark.usefixtures("frozen")


async def act(
    hass: HomeAssistant, action: str, entry: MockConfigEntry, **data: Any
) -> dict[str, Any] | None:
    result = await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=action == "retry_dead_letters",
    )
    return dict(result) if result is not None else None


async def test_love_and_unlove_a_given_track(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    await act(hass, "love", account, artist="Low", track="Lazy")
    assert ("Low", "Lazy") in {(a, t) for a, t in lastfm_server.user(USERNAME).loved}
    await act(hass, "unlove", account, artist="Low", track="Lazy")
    assert lastfm_server.user(USERNAME).loved == set()


async def test_love_what_plays_now(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "love", account)
    assert err.value.translation_key == "nothing_playing"

    await send(hass, playback())
    await act(hass, "love", account)
    assert lastfm_server.user(USERNAME).loved == {("Low", "Lazy")}


async def test_love_errors(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "love", account, artist="Low")
    assert err.value.translation_key == "artist_and_track_together"
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            "love",
            {"config_entry_id": "no-such-entry", "artist": "Low", "track": "Lazy"},
            blocking=True,
        )
    lastfm_server.fail_next(11, method="track.love")
    with pytest.raises(HomeAssistantError) as failure:
        await act(hass, "love", account, artist="Low", track="Lazy")
    assert failure.value.translation_key == "love_failed"
    assert lastfm_server.user(USERNAME).loved == set()


async def test_scrobble_queues_a_play_with_its_timestamp(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    started = dt_util.utcnow() - timedelta(hours=1)
    await act(
        hass,
        "scrobble",
        account,
        artist="Can",
        track="Vitamin C",
        album="Ege Bamyasi",
        album_artist="Can",
        duration=212,
        timestamp=started.isoformat(),
    )
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 1)
    [scrobble] = lastfm_server.scrobbles_of(USERNAME)
    assert (scrobble.artist, scrobble.track, scrobble.timestamp) == (
        "Can",
        "Vitamin C",
        int(started.timestamp()),
    )
    assert scrobble.params["album"] == "Ege Bamyasi"

    # Without a timestamp: now.
    await act(hass, "scrobble", account, artist="Low", track="Lazy")
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 2)
    assert lastfm_server.scrobbles_of(USERNAME)[1].timestamp == int(dt_util.utcnow().timestamp())


@pytest.mark.parametrize(
    ("when", "key"),
    [
        (timedelta(days=15), "scrobble_too_old"),
        (-timedelta(hours=1), "scrobble_in_future"),
    ],
)
async def test_scrobble_refuses_a_bad_timestamp(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    when: timedelta,
    key: str,
) -> None:
    await set_up(hass, account)
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass,
            "scrobble",
            account,
            artist="Low",
            track="Lazy",
            timestamp=(dt_util.utcnow() - when).isoformat(),
        )
    assert err.value.translation_key == key
    assert state(hass, PENDING) == "0"


async def test_scrobble_refuses_the_same_play_twice(
    hass: HomeAssistant, lastfm_server: FakeLastfm, account: MockConfigEntry
) -> None:
    await set_up(hass, account)
    when = (dt_util.utcnow() - timedelta(minutes=5)).isoformat()
    await act(hass, "scrobble", account, artist="Low", track="Lazy", timestamp=when)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, "scrobble", account, artist="Low", track="Lazy", timestamp=when)
    assert err.value.translation_key == "scrobble_duplicate"


async def test_retry_dead_letters(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    await set_up(hass, account)
    scrobbler = account.runtime_data.scrobbler
    lastfm_server.ignore_next(1)  # a filtered artist
    await act(hass, "scrobble", account, artist="Low", track="Lazy")
    await wait_until(lambda: scrobbler.counts().dead_letters == 1)
    await hass.async_block_till_done()
    assert state(hass, DEAD_LETTERS) == "1"

    assert await act(hass, "retry_dead_letters", account) == {"retried": 1}
    await wait_until(lambda: len(lastfm_server.scrobbles_of(USERNAME)) == 1)
    await wait_until(lambda: scrobbler.counts().scrobbled_today == 1)
    await hass.async_block_till_done()
    assert state(hass, DEAD_LETTERS) == "0"
    assert await act(hass, "retry_dead_letters", account) == {"retried": 0}


async def test_diagnostics_show_the_queue(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lastfm_server: FakeLastfm,
    account: MockConfigEntry,
) -> None:
    """Dead letters and the last error, with artists and titles, and no credentials."""
    await set_up(hass, account)
    scrobbler = account.runtime_data.scrobbler
    lastfm_server.ignore_next(1)
    await act(hass, "scrobble", account, artist="Low", track="Lazy")
    await wait_until(lambda: scrobbler.counts().dead_letters == 1)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, account)
    queue = diagnostics["scrobbling"]
    assert queue["enabled"] is True
    assert queue["counts"]["dead_letters"] == 1
    assert queue["counts"]["pending"] == 0
    [letter] = queue["dead_letters"]
    assert (letter["entry"]["track"]["artist"], letter["code"]) == ("Low", 1)
    assert queue["in_flight"] == []
    text = str(diagnostics)
    for secret in (API_KEY, API_SECRET, account.data[CONF_SESSION_KEY]):
        assert secret not in text
