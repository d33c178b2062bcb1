"""A write that got no answer: the client tells "may have been carried out" from "was not"."""

import asyncio
import socket

import aiohttp
import pytest

from custom_components.scrobbler.lastfm import (
    LastfmClient,
    LastfmOutcomeUnknownError,
    LastfmTemporaryError,
    Scrobble,
    Track,
)
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm
from tests.lastfm.clients import fake_client

PLAY = Scrobble(Track("Artist", "Title"), timestamp=0)


def short_client(
    http: aiohttp.ClientSession, server: FakeLastfm, *, api_root: str | None = None
) -> LastfmClient:
    return LastfmClient(
        http,
        API_KEY,
        API_SECRET,
        session_key=server.issue_session(USERNAME),
        api_root=api_root or server.api_root,
        timeout=0.3,
        max_requests_per_second=1000,
    )


def play_now(server: FakeLastfm) -> Scrobble:
    return Scrobble(PLAY.track, timestamp=int(server.clock) - 60)


@pytest.mark.parametrize(
    ("failure", "recorded"),
    [
        (Failure.HANG, False),
        (Failure.HANG_AFTER_RECORD, True),
        (Failure.DROP, False),
        (Failure.DROP_AFTER_RECORD, True),
    ],
)
async def test_no_answer_after_sending_is_an_unknown_outcome(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm, failure: Failure, recorded: bool
) -> None:
    client = short_client(http, lastfm_server)
    lastfm_server.fail_next(failure, method="track.scrobble")
    with pytest.raises(LastfmOutcomeUnknownError, match="after the request was sent"):
        await client.scrobble([play_now(lastfm_server)])
    assert len(lastfm_server.requests_of("track.scrobble")) == 1
    assert len(lastfm_server.scrobbles_of(USERNAME)) == int(recorded)
    # The next call goes through as usual.
    [result] = await client.scrobble([play_now(lastfm_server)])
    assert result.accepted


async def test_timeout_before_sending_is_temporary(lastfm_server: FakeLastfm) -> None:
    """The only connection is busy: the second write times out before it could be sent."""
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as http:
        patient = fake_client(http, lastfm_server, with_session_key=True)
        lastfm_server.fail_next(Failure.HANG, method="track.scrobble")
        first = asyncio.create_task(patient.scrobble([play_now(lastfm_server)]))
        while not lastfm_server.requests_of("track.scrobble"):  # noqa: ASYNC110 - the fake only records
            await asyncio.sleep(0.01)
        client = short_client(http, lastfm_server)
        with pytest.raises(LastfmTemporaryError, match=r"no answer within 0\.3 s$") as err:
            await client.scrobble([play_now(lastfm_server)])
        assert not isinstance(err.value, LastfmOutcomeUnknownError)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
    assert len(lastfm_server.requests_of("track.scrobble")) == 1


async def test_unreachable_service_is_temporary(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = short_client(http, lastfm_server, api_root=f"http://127.0.0.1:{port}/2.0/")
    with pytest.raises(LastfmTemporaryError, match="cannot reach the service") as err:
        await client.scrobble([play_now(lastfm_server)])
    assert not isinstance(err.value, LastfmOutcomeUnknownError)


async def test_a_read_without_answer_is_temporary(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    """Reads change nothing: their outcome is never in doubt."""
    client = short_client(http, lastfm_server)
    lastfm_server.fail_next(Failure.HANG, method="user.getRecentTracks")
    with pytest.raises(LastfmTemporaryError) as err:
        await client.get_recent_tracks(USERNAME)
    assert not isinstance(err.value, LastfmOutcomeUnknownError)


async def test_ignore_next_marks_the_next_items(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    client = short_client(http, lastfm_server)
    lastfm_server.ignore_next(5, count=2)
    lastfm_server.ignore_next(1)
    plays = [Scrobble(Track("A", f"T{i}"), int(lastfm_server.clock) - 600 + i) for i in range(4)]
    results = await client.scrobble(plays)
    assert [r.ignored_code for r in results] == [5, 5, 1, 0]
    assert results[0].ignored_message == "Max daily scrobbles exceeded"
    user = lastfm_server.user(USERNAME)
    assert [s.track for s in user.received] == ["T3"]
