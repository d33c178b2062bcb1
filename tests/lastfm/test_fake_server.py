"""The fake Last.fm is as strict as the real one: raw requests it must refuse."""

from typing import Any

import aiohttp
import pytest

from tests.fakes.lastfm_server import (
    API_KEY,
    API_SECRET,
    USERNAME,
    Failure,
    FakeLastfm,
    expected_signature,
)


async def call(
    http: aiohttp.ClientSession,
    server: FakeLastfm,
    params: dict[str, str],
    *,
    post: bool = True,
    sign: bool = True,
    session_key: bool = True,
) -> tuple[int, Any]:
    params = {"api_key": API_KEY, **params}
    if session_key:
        params["sk"] = server.issue_session(USERNAME)
    if sign:
        params["api_sig"] = expected_signature(params, API_SECRET)
    params.setdefault("format", "json")
    if post:
        request = http.post(server.api_root, data=params)
    else:
        request = http.get(server.api_root, params=params)
    async with request as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


def scrobble_params(count: int, now: float) -> dict[str, str]:
    params = {"method": "track.scrobble"}
    for i in range(count):
        params |= {f"artist[{i}]": "A", f"track[{i}]": f"T{i}", f"timestamp[{i}]": str(int(now))}
    return params


async def test_writes_must_be_posted(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    params = {"method": "track.love", "artist": "A", "track": "T"}
    status, body = await call(http, lastfm_server, params, post=False)
    assert body["error"] == 3
    assert lastfm_server.user(USERNAME).loved == set()
    status, body = await call(http, lastfm_server, params)
    assert (status, body) == (200, {})
    assert lastfm_server.requests[0].http_method == "GET"


@pytest.mark.parametrize(
    ("params", "sign", "session_key", "code"),
    [
        ({"method": "auth.getToken"}, False, False, 13),
        ({"method": "user.getInfo"}, False, True, 13),
        ({"method": "user.getInfo", "user": USERNAME, "api_sig": "0" * 32}, False, False, 13),
        ({"method": "track.love", "artist": "A", "track": "T"}, True, False, 4),
        ({"method": "user.getInfo"}, True, False, 6),
        ({"method": "user.nope"}, True, False, 3),
        ({"method": "track.love", "track": "T"}, True, True, 6),
        ({"method": "user.getRecentTracks", "user": USERNAME, "limit": "0"}, True, True, 6),
        ({"method": "user.getRecentTracks", "user": USERNAME, "limit": "x"}, True, True, 6),
        ({"method": "user.getRecentTracks", "user": USERNAME, "limit": "²"}, True, True, 6),
        ({"method": "user.getRecentTracks", "user": USERNAME, "from": "\u0661"}, True, True, 6),
        ({"method": "user.getRecentTracks", "user": "nobody"}, True, True, 6),
    ],
)
async def test_refusals(
    http: aiohttp.ClientSession,
    lastfm_server: FakeLastfm,
    params: dict[str, str],
    sign: bool,
    session_key: bool,
    code: int,
) -> None:
    _, body = await call(http, lastfm_server, params, sign=sign, session_key=session_key)
    assert body["error"] == code
    assert isinstance(body["message"], str)


async def test_unknown_key_and_json_only(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    async with http.get(lastfm_server.api_root, params={"method": "auth.getToken"}) as response:
        assert "<lfm" in await response.text()
    params = {"method": "user.getInfo", "user": USERNAME, "api_key": "f" * 32, "format": "json"}
    async with http.get(lastfm_server.api_root, params=params) as response:
        assert (await response.json())["error"] == 10


async def test_one_scrobble_without_index(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    now = str(int(lastfm_server.clock))
    params = {"method": "track.scrobble", "artist": "A", "track": "T", "timestamp": now}
    _, body = await call(http, lastfm_server, params)
    assert body["scrobbles"]["@attr"] == {"accepted": 1, "ignored": 0}
    assert isinstance(body["scrobbles"]["scrobble"], dict)
    assert body["scrobbles"]["scrobble"]["ignoredMessage"] == {"code": "0", "#text": ""}


async def test_now_playing_answer(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    params = {"method": "track.updateNowPlaying", "artist": "A", "track": "T", "duration": "²"}
    status, body = await call(http, lastfm_server, params)
    assert status == 200
    # As the real service: every element says whether it was corrected, "0" or "1".
    assert body["nowplaying"]["artist"] == {"corrected": "0", "#text": "A"}
    assert body["nowplaying"]["ignoredMessage"] == {"code": "0", "#text": ""}
    # A duration that is not a number counts as none: the default length applies.
    assert lastfm_server.now_playing_of(USERNAME) is not None


async def test_scrobble_array_shape(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    _, body = await call(http, lastfm_server, scrobble_params(2, lastfm_server.clock))
    assert isinstance(body["scrobbles"]["scrobble"], list)
    assert [s["track"]["#text"] for s in body["scrobbles"]["scrobble"]] == ["T0", "T1"]


@pytest.mark.parametrize(
    "change",
    [
        {"artist[50]": "A", "track[50]": "T", "timestamp[50]": "1"},
        {"artist": "A", "track": "T", "timestamp": "1"},
        {"colour[0]": "red"},
        {"timestamp[0]": "yesterday"},
        {"timestamp[0]": "²"},
        {"timestamp[0]": ""},
    ],
)
async def test_scrobble_validation(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm, change: dict[str, str]
) -> None:
    params = scrobble_params(50, lastfm_server.clock) | change
    _, body = await call(http, lastfm_server, params)
    assert body["error"] == 6
    assert lastfm_server.scrobbles_of(USERNAME) == []


async def test_scrobble_index_gap(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    params = scrobble_params(3, lastfm_server.clock)
    for name in ("artist[1]", "track[1]", "timestamp[1]"):
        del params[name]
    _, body = await call(http, lastfm_server, params)
    assert body["error"] == 6


async def test_recent_tracks_pages(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    await call(http, lastfm_server, scrobble_params(3, lastfm_server.clock - 60))
    params = {"method": "user.getRecentTracks", "user": USERNAME, "limit": "2", "page": "2"}
    _, body = await call(http, lastfm_server, params, post=False, sign=False, session_key=False)
    assert body["recenttracks"]["@attr"]["totalPages"] == "2"
    assert body["recenttracks"]["track"]["name"] in {"T0", "T1", "T2"}
    lastfm_server.single_track_as_object = False
    _, body = await call(http, lastfm_server, params, post=False, sign=False, session_key=False)
    assert isinstance(body["recenttracks"]["track"], list)


async def test_auth_page(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    token = lastfm_server.issue_token()
    query = {"api_key": API_KEY, "token": token}
    async with http.get(lastfm_server.auth_url, params=query) as page:
        assert page.status == 200
    async with http.get(lastfm_server.auth_url, params={**query, "token": "x"}) as page:
        assert page.status == 400


async def test_approve_pending_needs_a_token(lastfm_server: FakeLastfm) -> None:
    with pytest.raises(LookupError):
        lastfm_server.approve_pending(USERNAME)


async def test_clock(lastfm_server: FakeLastfm) -> None:
    lastfm_server.clock = 1_000_000
    assert 1_000_000 <= lastfm_server.clock < 1_000_010
    lastfm_server.advance(100)
    assert 1_000_100 <= lastfm_server.clock < 1_000_110


async def test_injected_failures_are_recorded(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.fail_next(Failure.HTTP_503, count=2)
    for _ in range(2):
        status, _ = await call(http, lastfm_server, {"method": "auth.getToken"}, session_key=False)
        assert status == 503
    status, body = await call(http, lastfm_server, {"method": "auth.getToken"}, session_key=False)
    assert (status, len(body["token"])) == (200, 32)
    assert [r.method for r in lastfm_server.requests] == ["auth.getToken"] * 3
