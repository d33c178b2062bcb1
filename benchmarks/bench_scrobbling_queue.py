"""Benchmarks of the scrobble queue: a backlog drained into the fake Last.fm, and Store writes.

The sender runs with the client's default rate limit (5 requests per second) against the fake
Last.fm on 127.0.0.1, on the real clock; the Store is a JSON file written at every save, as
Home Assistant's ``Store.async_save`` does.
"""

import json
from pathlib import Path
import tempfile
import time
from typing import Any, override

from custom_components.scrobbler.lastfm import RateLimiter
from custom_components.scrobbler.lastfm.client import (
    DEFAULT_MAX_REQUESTS_PER_SECOND,
    MAX_SCROBBLES_PER_BATCH,
)
from custom_components.scrobbler.scrobbling.queue import ScrobbleQueue
from custom_components.scrobbler.scrobbling.sender import ScrobbleSender
from tests.fakes.lastfm_server import USERNAME

from .bench_lastfm import fake_lastfm_client, scrobble_batch
from .harness import Figure, Settings, benchmark, time_calls


class FileStore:
    """A JSON file written at each save (HA's Store writes a temporary file, then renames)."""

    def __init__(self, path: Path) -> None:
        """Keep the queue in ``path``."""
        self.path = path
        self.saves = 0
        self.bytes = 0

    async def load(self) -> dict[str, Any] | None:
        """The data saved last."""
        if not self.path.exists():
            return None
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    async def save(self, data: dict[str, Any]) -> None:
        """Write the data now."""
        text = json.dumps(data)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(self.path)
        self.saves += 1
        self.bytes += len(text)


class TimedLimiter(RateLimiter):
    """The client's rate limiter, noting when it lets each request start."""

    def __init__(self, rate: float) -> None:
        """Allow ``rate`` requests per second."""
        super().__init__(rate)
        self.starts: list[float] = []

    @override
    async def acquire(self) -> None:
        await super().acquire()
        self.starts.append(time.perf_counter())


def backlog(count: int) -> dict[str, Any]:
    """The stored data of a queue holding ``count`` plays (a long outage's backlog)."""
    queue = ScrobbleQueue("bench")
    for index, play in enumerate(scrobble_batch(count)):
        queue.add(play, track_id=f"queue-item-{index}", player_id="kitchen")
    return queue.to_dict()


@benchmark(
    "scrobbling.backlog",
    "a backlog of queued plays drained into the fake Last.fm at the default 5 requests/s",
)
async def bench_backlog(settings: Settings) -> list[Figure]:
    """Start a sender on a stored backlog and time until Last.fm has every play."""
    count = settings.count(1000, quick=100)
    limiter = TimedLimiter(DEFAULT_MAX_REQUESTS_PER_SECOND)
    async with fake_lastfm_client(rate_limiter=limiter) as (server, client, _):
        with tempfile.TemporaryDirectory(prefix="scrobbler-bench-") as folder:
            store = FileStore(Path(folder) / "scrobbler.queue")
            await store.save(backlog(count))
            store.saves = store.bytes = 0
            sender = ScrobbleSender("bench", USERNAME, client, store)
            start = time.perf_counter()
            await sender.start()
            await sender.wait_idle()
            elapsed = time.perf_counter() - start
            await sender.stop()
        received = len(server.user(USERNAME).received)
    requests = len(limiter.starts)
    if received != count or requests != -(-count // MAX_SCROBBLES_PER_BATCH):
        msg = f"{received} of {count} plays reached the fake in {requests} requests"
        raise RuntimeError(msg)
    starts = limiter.starts
    burst = int(DEFAULT_MAX_REQUESTS_PER_SECOND)
    pace = "-"
    if requests > burst:
        pace = f"{(requests - burst) / (starts[-1] - starts[burst - 1]):.2f}/s"
    return [
        Figure(
            f"{count} plays in {requests} track.scrobble requests",
            per_second=count / elapsed,
            count=str(count),
            note=f"{elapsed:.2f} s; {burst} requests at once, then {pace}",
        ),
        Figure(
            "Store writes per scrobble (backlog)",
            count=str(store.saves),
            note=f"{store.saves / count:.3f} ({store.bytes / max(store.saves, 1):,.0f} B each)",
        ),
    ]


@benchmark("scrobbling.live", "plays queued one at a time and sent at once, fake Last.fm")
async def bench_live(settings: Settings) -> list[Figure]:
    """Queue plays one by one, each sent before the next: the Store writes of a normal day."""
    count = settings.count(50, quick=5)
    async with fake_lastfm_client() as (_, client, _):
        with tempfile.TemporaryDirectory(prefix="scrobbler-bench-") as folder:
            store = FileStore(Path(folder) / "scrobbler.queue")
            sender = ScrobbleSender("bench", USERNAME, client, store)
            await sender.start()
            start = time.perf_counter()
            for index, play in enumerate(scrobble_batch(count)):
                await sender.add(play, track_id=f"queue-item-{index}", player_id="kitchen")
                await sender.wait_idle()
            elapsed = time.perf_counter() - start
            await sender.stop()
    return [
        Figure(
            "add() to accepted, one play at a time",
            per_second=count / elapsed,
            count=str(count),
            note=f"{elapsed / count * 1000:.2f} ms per play, Store write and round trip included",
        ),
        Figure(
            "Store writes per scrobble (live)",
            count=str(store.saves - 1),  # the last one is stop()'s
            note=f"{(store.saves - 1) / count:.3f}: queued, in flight, done",
        ),
    ]


@benchmark("scrobbling.queue", "the queue's own work: add(), and to_dict() of a backlog")
def bench_queue(settings: Settings) -> list[Figure]:
    """Time the pure queue: adding a play, and the data of each save of a 1000-play backlog."""
    plays = scrobble_batch(1000)
    data = backlog(1000)
    full = ScrobbleQueue.from_dict(data)
    counter = iter(range(10**9))

    def add() -> None:
        queue = ScrobbleQueue("bench")
        index = next(counter)
        queue.add(plays[index % 1000], track_id=f"queue-item-{index}")

    return [
        Figure("ScrobbleQueue.add() (empty queue)", time_calls(add, settings)),
        Figure(
            "to_dict() + json.dumps, 1000 plays waiting",
            time_calls(lambda: json.dumps(full.to_dict()), settings, samples=100),
            note=f"{len(json.dumps(data)):,} B",
        ),
    ]
