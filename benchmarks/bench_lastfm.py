"""Benchmarks of the Last.fm library: signing, the client's own work, round trips, credentials.

Round trips go over a real socket to the fake Last.fm (``tests/fakes/lastfm_server.py``) on
127.0.0.1, served in the same event loop as the client: a figure is the cost of both.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
import tempfile
import time
from types import TracebackType
from typing import Final, Self, cast
from urllib.parse import urlencode

import aiohttp

from custom_components.scrobbler.lastfm import LastfmClient, RateLimiter, Scrobble, Track, sign
from custom_components.scrobbler.lastfm.client import (
    DEFAULT_MAX_REQUESTS_PER_SECOND,
    MAX_SCROBBLES_PER_BATCH,
)
from custom_components.scrobbler.lastfm.credentials import (
    Credentials,
    load_credentials,
    parse_credentials,
    save_credentials,
)
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm

from .harness import Figure, Settings, benchmark, time_awaits, time_calls

BATCH: Final = MAX_SCROBBLES_PER_BATCH
# High enough that the client's limiter never waits: the figures are the client's and fake's.
UNLIMITED: Final = 1_000_000.0
# Parameters that are not signed; the rest of a request is what sign() gets.
_UNSIGNED: Final = ("api_sig", "format")


def scrobble_batch(count: int) -> list[Scrobble]:
    """Plays with every field the client sends, an hour ago and before (the fake accepts them)."""
    now = int(time.time())
    return [
        Scrobble(
            Track(
                artist=f"Artist {index}",
                title=f"Title number {index}",
                album=f"Album {index // 10}",
                album_artist=f"Artist {index}",
                track_number=index % 10 + 1,
                duration=180 + index,
                mbid=f"00000000-0000-4000-8000-{index:012d}",
            ),
            timestamp=now - 3600 - 240 * index,
        )
        for index in range(count)
    ]


@asynccontextmanager
async def fake_lastfm_client(
    max_requests_per_second: float = UNLIMITED, rate_limiter: RateLimiter | None = None
) -> AsyncIterator[tuple[FakeLastfm, LastfmClient, aiohttp.ClientSession]]:
    """A started fake Last.fm and a client with the session key of its user, closed after."""
    async with FakeLastfm() as server, aiohttp.ClientSession() as http:
        server.register_app(API_KEY, API_SECRET)
        server.add_user(USERNAME)
        client = LastfmClient(
            http,
            API_KEY,
            API_SECRET,
            session_key=server.issue_session(USERNAME),
            api_root=server.api_root,
            max_requests_per_second=max_requests_per_second,
            rate_limiter=rate_limiter,
        )
        yield server, client, http


async def scrobble_all(client: LastfmClient, batch: list[Scrobble]) -> None:
    """Scrobble a batch and make sure every play was accepted."""
    results = await client.scrobble(batch)
    if not all(result.accepted for result in results):
        msg = f"the fake ignored scrobbles: {[r.ignored_code for r in results]}"
        raise RuntimeError(msg)


@benchmark("lastfm.sign", "sign() of the parameters of a 50-item track.scrobble")
async def bench_sign(settings: Settings) -> list[Figure]:
    """Sign the parameters the client sent for a 50-item batch (taken from the fake)."""
    async with fake_lastfm_client() as (server, client, _):
        await scrobble_all(client, scrobble_batch(BATCH))
        sent = server.requests_of("track.scrobble")[-1].params
    params = {name: value for name, value in sent.items() if name not in _UNSIGNED}
    if sign(params, API_SECRET) != sent["api_sig"]:
        msg = "sign() does not give the signature the client sent"
        raise RuntimeError(msg)
    samples = time_calls(lambda: sign(params, API_SECRET), settings)
    return [Figure(f"sign(): {len(params)} parameters", samples)]


class ReplaySession:
    """Stands in for the aiohttp session: encodes the form as aiohttp does, replays an answer."""

    def __init__(self, answer: bytes) -> None:
        """Answer every request with ``answer`` (HTTP 200)."""
        self._answer = answer
        self.sent = b""

    def post(self, url: str, *, data: aiohttp.Payload, **options: object) -> ReplayResponse:
        """Take the encoded form and return the recorded answer."""
        return ReplayResponse(self, data, self._answer)


class ReplayResponse:
    """The response of a :class:`ReplaySession`, an async context manager as aiohttp's is."""

    status = 200

    def __init__(self, session: ReplaySession, body: aiohttp.Payload, answer: bytes) -> None:
        """Hold the encoded request body and the answer."""
        self._session = session
        self._body = body
        self._answer = answer

    async def __aenter__(self) -> Self:
        """Send the request: take the bytes of the encoded body."""
        self._session.sent = await self._body.as_bytes()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Nothing to release."""

    async def read(self) -> bytes:
        """The recorded answer."""
        return self._answer


@benchmark(
    "lastfm.scrobble_client",
    "the client's own work on a 50-item track.scrobble: build, sign, encode, parse (no socket)",
)
async def bench_scrobble_client(settings: Settings) -> list[Figure]:
    """Run client.scrobble() on a session that replays the fake's answer to the same batch."""
    batch = scrobble_batch(BATCH)
    async with fake_lastfm_client() as (server, client, http):
        await scrobble_all(client, batch)
        sent = server.requests_of("track.scrobble")[-1].params
        async with http.post(server.api_root, data=sent) as response:
            answer = await response.read()
    session = ReplaySession(answer)
    replay = LastfmClient(
        cast("aiohttp.ClientSession", session),
        API_KEY,
        API_SECRET,
        session_key=sent["sk"],
        max_requests_per_second=UNLIMITED,
    )
    await scrobble_all(replay, batch)
    samples = await time_awaits(lambda: replay.scrobble(batch), settings)
    note = f"{len(session.sent):,} B form, {len(answer):,} B answer"

    def encode() -> bytes:
        return urlencode(list(sent.items())).encode()  # how the client encodes its form

    encoding = time_calls(encode, settings)
    return [
        Figure(f"client.scrobble() x{BATCH}, replayed", samples, note=note),
        Figure(f"of which the form encoding of {len(sent)} fields", encoding),
    ]


@benchmark(
    "lastfm.round_trips",
    "client calls over a socket to the fake Last.fm, client limiter set high",
)
async def bench_round_trips(settings: Settings) -> list[Figure]:
    """Time each kind of call the integration makes, one after another."""
    batch = scrobble_batch(BATCH)
    async with fake_lastfm_client() as (server, client, _):
        stored = server.user(USERNAME).scrobbles
        figures = [
            Figure(
                "track.updateNowPlaying",
                await time_awaits(lambda: client.update_now_playing(batch[0].track), settings),
            )
        ]
        for size in (1, BATCH):
            samples = await time_awaits(
                partial(client.scrobble, batch[:size]), settings, after=stored.clear
            )
            figures.append(Figure(f"track.scrobble x{size}", samples))
        await scrobble_all(client, batch)
        for limit in (1, BATCH):
            samples = await time_awaits(
                partial(client.get_recent_tracks, USERNAME, limit=limit), settings
            )
            note = "+ the track playing now" if server.now_playing_of(USERNAME) else ""
            figures.append(Figure(f"user.getRecentTracks limit={limit}", samples, note=note))
    return figures


@benchmark(
    "lastfm.rate_limit",
    "track.updateNowPlaying one after another with the client's default limiter",
)
async def bench_rate_limit(settings: Settings) -> list[Figure]:
    """Measure the pace the default limiter lets through: a burst, then the steady rate."""
    calls = settings.count(20, quick=10)
    burst = int(DEFAULT_MAX_REQUESTS_PER_SECOND)
    async with fake_lastfm_client(DEFAULT_MAX_REQUESTS_PER_SECOND) as (_, client, _):
        track = scrobble_batch(1)[0].track
        start = time.perf_counter()
        done: list[float] = []
        for _ in range(calls):
            await client.update_now_playing(track)
            done.append(time.perf_counter() - start)
    steady = (calls - burst) / (done[-1] - done[burst - 1])
    note = (
        f"{calls} calls in {done[-1]:.2f} s: {burst} at once, then {steady:.2f}/s "
        f"({calls / done[-1]:.2f}/s overall)"
    )
    return [
        Figure(
            f"default limiter ({DEFAULT_MAX_REQUESTS_PER_SECOND:g}/s), after the burst",
            per_second=steady,
            count=str(calls),
            note=note,
        )
    ]


@benchmark("lastfm.credentials", "the acr_lastfm_auth credentials file (blocking file I/O)")
def bench_credentials(settings: Settings) -> list[Figure]:
    """Parse, save (atomic, fsync'd) and load + save a credentials file in a temporary folder."""
    credentials = Credentials(
        api_key=API_KEY,
        api_secret=API_SECRET,
        session_key="0123456789abcdef0123456789abcdef",
        username=USERNAME,
    )
    text = credentials.to_json()
    with tempfile.TemporaryDirectory(prefix="scrobbler-bench-") as folder:
        path = Path(folder) / "lastfm_credentials.json"

        def round_trip() -> None:
            save_credentials(path, load_credentials(path))

        save_credentials(path, credentials)
        if load_credentials(path) != credentials:
            msg = "the credentials did not survive a round trip"
            raise RuntimeError(msg)
        return [
            Figure("parse_credentials()", time_calls(lambda: parse_credentials(text), settings)),
            Figure(
                "save_credentials() (mkstemp, fsync, rename)",
                time_calls(lambda: save_credentials(path, credentials), settings, samples=200),
            ),
            Figure(
                "load_credentials() + save_credentials()",
                time_calls(round_trip, settings, samples=200),
            ),
        ]
