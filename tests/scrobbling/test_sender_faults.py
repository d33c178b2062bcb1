"""Fault injection: the sender against the fake Last.fm over real sockets, 500 seeded schedules.

Each schedule (its own user, seeded) queues plays in the order they started while failures are
injected: error codes 11, 16, 29 and other codes, HTTP 5xx and 429, HTML and truncated answers,
connections dropped and requests left hanging before and after the fake records a batch,
timeouts before sending, filtered artists and tracks, timestamps too old and too new, the daily
limit, a revoked session and code 4, failed checks of a batch, graceful restarts and hard stops
(the sender dropped at a save or a request, and started again from the last saved data, with
the plays whose queuing was cut off queued again). The clock and sleep are injected: nothing
waits but the few hanging requests.

At the end of each schedule: every play reached the fake exactly once, with its start time, in
the order they started, or is a dead letter for a reason the fake gave (never both, except a
play whose check failed, which waits for the user as a dead letter).
"""

import asyncio
from collections import Counter
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import os
import random

import aiohttp
import pytest

from custom_components.scrobbler.lastfm import (
    LastfmClient,
    LastfmTemporaryError,
    RateLimiter,
    RecentTrack,
    Scrobble,
    ScrobbleResult,
    Track,
)
from custom_components.scrobbler.scrobbling.queue import (
    MAX_AGE,
    UNCHECKED_MESSAGE,
    AddResult,
    DeadLetter,
)
from custom_components.scrobbler.scrobbling.sender import ScrobbleSender
from tests.fakes.lastfm_server import API_KEY, API_SECRET, Failure, FakeLastfm

from .queue_support import Clock, HardStop, Killer, MemoryStorage, auto_enable_custom_integrations

__all__ = ["auto_enable_custom_integrations"]


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Override HA's fixture: the loop's debug mode would make this long run 8 times slower."""


SCHEDULES = int(os.environ.get("SCROBBLER_FAULT_SCHEDULES", "500"))
# Real seconds a hanging request waits: the only real waiting of the test.
REQUEST_TIMEOUT = 0.2
FILTERED_ARTIST = "Filtered Artist"
FILTERED_TRACK = "Filtered Track"
SCROBBLE_FAULTS: Sequence[Failure | int] = (
    11,
    16,
    29,
    8,
    6,
    4,
    Failure.HTTP_500,
    Failure.HTTP_503,
    Failure.HTTP_429,
    Failure.HTML,
    Failure.TRUNCATED_JSON,
    Failure.DROP,
    Failure.DROP_AFTER_RECORD,
)
CHECK_FAULTS: Sequence[Failure | int] = (
    11,
    16,
    29,
    17,
    Failure.HTTP_500,
    Failure.HTML,
    Failure.TRUNCATED_JSON,
    Failure.DROP,
)
HANGS = (Failure.HANG, Failure.HANG_AFTER_RECORD)


@dataclass
class FaultyClient:
    """The real client, plus hard stops around its calls and timeouts before sending."""

    client: LastfmClient
    killer: Killer
    timeouts_before_sending: int = 0

    async def scrobble(self, scrobbles: Sequence[Scrobble]) -> list[ScrobbleResult]:
        self.killer.point()
        if self.timeouts_before_sending:
            self.timeouts_before_sending -= 1
            msg = "track.scrobble: no answer within 10 s"
            raise LastfmTemporaryError(msg)
        results = await self.client.scrobble(scrobbles)
        self.killer.point()  # the answer is lost with the process
        return results

    async def get_recent_tracks(
        self,
        user: str,
        *,
        limit: int = 1,
        from_: datetime | None = None,
        to: datetime | None = None,
    ) -> list[RecentTrack]:
        self.killer.point()
        return await self.client.get_recent_tracks(user, limit=limit, from_=from_, to=to)


@dataclass
class Schedule:
    """One seeded run: the plays, the sender and what happened."""

    seed: int
    server: FakeLastfm
    http: aiohttp.ClientSession
    clock: Clock
    stats: Counter[str]
    rng: random.Random = field(init=False)
    user: str = field(init=False)
    killer: Killer = field(default_factory=Killer)
    storage: MemoryStorage = field(init=False)
    client: FaultyClient = field(init=False)
    sender: ScrobbleSender = field(init=False)
    plays: dict[str, Scrobble] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    # Every dead letter there was (they are forgotten 30 days after they die).
    dead_letters: dict[str, DeadLetter] = field(default_factory=dict)
    unqueued: list[str] = field(default_factory=list)
    reauth_needed: bool = False
    last_start: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - a seeded schedule
        self.user = f"user{self.seed}"
        self.server.add_user(self.user)
        self.storage = MemoryStorage(killer=self.killer)
        lastfm = LastfmClient(
            self.http,
            API_KEY,
            API_SECRET,
            session_key=self.server.issue_session(self.user),
            api_root=self.server.api_root,
            timeout=REQUEST_TIMEOUT,
            rate_limiter=RateLimiter(5, clock=self.clock, sleep=self.clock.sleep),
        )
        self.client = FaultyClient(lastfm, self.killer)

    # --- the sender's life ----------------------------------------------------------------

    async def start(self) -> None:
        self.reauth_needed = False
        self.killer.dead = False
        self.sender = ScrobbleSender(
            "account",
            self.user,
            self.client,
            self.storage,
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=random.Random(self.seed),  # noqa: S311 - jitter
            on_accepted=lambda _: self.stats.update(["accepted events"]),
            on_reauth_needed=self._reauth_needed,
            on_dead_letter=self._dead_letter,
        )
        await self.sender.start()
        # Those the process died before telling.
        for letter in self.sender.queue.dead_letters:
            self._dead_letter(letter)
        # What the process was queuing when it died is queued again (the tracker would).
        unqueued, self.unqueued = self.unqueued, []
        for track_id in unqueued:
            await self.add(track_id)

    def _dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters[letter.entry.key.track_id] = letter

    def _reauth_needed(self) -> None:
        self.reauth_needed = True

    async def hard_stop(self) -> None:
        """The process dies: the task goes, nothing is saved."""
        task = self.sender._task
        if task is not None:  # None: it died while stopping
            task.cancel()
            with contextlib.suppress(HardStop, asyncio.CancelledError):
                await task
        self.stats["hard stops"] += 1
        if self.rng.random() < 0.05:
            self.clock.advance(MAX_AGE + 3600)  # down for more than two weeks
            self.stats["restarts after two weeks"] += 1
        await self.start()

    async def settle(self) -> None:
        """Let the sender work until it has nothing to do; restart it if it died."""
        for _ in range(100):
            task = self.sender._task
            assert task is not None
            idle = asyncio.ensure_future(self.sender.wait_idle())
            async with asyncio.timeout(30):
                await asyncio.wait([idle, task], return_when=asyncio.FIRST_COMPLETED)
            idle.cancel()
            if task.done():
                assert isinstance(task.exception(), HardStop)
                await self.hard_stop()
                continue
            if self.reauth_needed:
                self.reauth_needed = False
                lastfm = self.client.client
                lastfm.session_key = self.server.issue_session(self.user)
                self.sender.reauthenticated()
                self.stats["reauths"] += 1
                continue
            return
        pytest.fail(f"schedule {self.seed} does not settle")

    # --- plays ----------------------------------------------------------------------------

    def new_play(self) -> str:
        """A play that started after the previous one, sometimes one Last.fm ignores."""
        number = len(self.plays)
        start = max(self.last_start + 1, int(self.clock.now) - self.rng.randint(30, 600))
        artist, title = f"Artist {number % 7}", f"Title {number}"
        draw = self.rng.random()
        if draw < 0.03:
            artist = FILTERED_ARTIST
        elif draw < 0.06:
            title = FILTERED_TRACK
        elif draw < 0.08 and not self.plays:
            start = int(self.clock.now) - MAX_AGE + self.rng.randint(-300, 300)
        self.last_start = max(self.last_start, start)
        if draw > 0.99:  # a clock far ahead: Last.fm says "too new"
            start = int(self.clock.now) + 30 * 86400
        track_id = f"queue-item-{number}"
        self.plays[track_id] = Scrobble(
            Track(artist, title, album="Album", duration=180 + number % 60), start
        )
        return track_id

    async def add(self, track_id: str) -> None:
        """Queue a play; if the process dies meanwhile, it is queued again after the restart."""
        try:
            result = await self.sender.add(self.plays[track_id], track_id=track_id, player_id="p")
        except HardStop:
            self.unqueued.append(track_id)
            await self.hard_stop()
            return
        if result is AddResult.TOO_OLD:
            self.refused.add(track_id)
        self.stats[f"adds: {result}"] += 1

    # --- faults ---------------------------------------------------------------------------

    def inject(self) -> None:
        draw = self.rng.random()
        server = self.server
        if draw < 0.35:
            fault = self.rng.choice(SCROBBLE_FAULTS)
            server.fail_next(fault, self.rng.randint(1, 3), method="track.scrobble")
            self.stats[f"fault: track.scrobble {fault}"] += 1
        elif draw < 0.45:
            fault = self.rng.choice(CHECK_FAULTS)
            server.fail_next(fault, method="user.getRecentTracks")
            # The check only comes after an answer lost.
            server.fail_next(Failure.DROP_AFTER_RECORD, method="track.scrobble")
            self.stats[f"fault: user.getRecentTracks {fault}"] += 1
        elif draw < 0.47:  # rare: the only real waiting
            fault = self.rng.choice(HANGS)
            server.fail_next(fault, method="track.scrobble")
            self.stats[f"fault: track.scrobble {fault}"] += 1
        elif draw < 0.58:
            self.client.timeouts_before_sending += self.rng.randint(1, 2)
            self.stats["fault: timeout before sending"] += 1
        elif draw < 0.64:
            with contextlib.suppress(KeyError):  # revoked already
                server.revoke_session(self.client.client.session_key or "")
            self.stats["fault: session revoked"] += 1
        elif draw < 0.70:
            sent_today = self._sent_today()
            server.daily_limit = sent_today + self.rng.randint(0, 20)
            self.stats["fault: daily limit"] += 1
        elif draw < 0.88:
            self.killer.countdown = self.rng.randint(1, 8)
            self.stats["hard stops armed"] += 1

    def _sent_today(self) -> int:
        today = int(self.server.clock // 86400)
        received = self.server.user(self.user).received
        return sum(1 for s in received if int(s.received // 86400) == today)

    # --- the run --------------------------------------------------------------------------

    async def graceful_restart(self) -> None:
        """HA stops (or reloads the entry) and starts again; it may die while stopping."""
        try:
            await self.sender.stop()
        except HardStop:
            await self.hard_stop()
            return
        self.stats["graceful restarts"] += 1
        await self.start()

    async def restart_if_dead(self) -> None:
        """A sender that died in the background is started again."""
        task = self.sender._task
        assert task is not None
        if task.done():
            await self.hard_stop()

    async def run(self) -> None:
        await self.start()
        for _ in range(self.rng.randint(3, 12)):
            await self.restart_if_dead()
            action = self.rng.random()
            if action < 0.45:
                for _ in range(self.rng.choice([1, 1, 2, 5, 20, 60])):
                    await self.add(self.new_play())
            elif action < 0.55 and self.plays:
                # The same play again (a restart of the tracker, a second report).
                await self.add(self.rng.choice(sorted(self.plays)))
            elif action < 0.62:
                await self.graceful_restart()
            else:
                self.inject()
            if self.rng.random() < 0.7:
                await self.settle()
        # Everything heals: the sender must empty its queue.
        self.killer.countdown = None
        self.client.timeouts_before_sending = 0
        self.server.daily_limit = None
        self.server._injected.clear()
        await self.restart_if_dead()
        await self.settle()
        while self.sender.queue.pending or self.sender.queue.in_flight:
            self.clock.advance(3600)
            self.sender.reauthenticated()
            await self.settle()
        await self.sender.stop()
        self.check()

    def check(self) -> None:
        received = self.server.user(self.user).received
        by_title = Counter(s.track for s in received)
        dead = {d.entry.key.track_id: d for d in self.sender.queue.dead_letters}
        assert dead.items() <= self.dead_letters.items()
        dead = self.dead_letters
        for track_id, play in self.plays.items():
            times = by_title[play.track.title]
            assert times <= 1, f"seed {self.seed}: {track_id} scrobbled {times} times"
            if track_id in self.refused and track_id not in dead:
                assert times == 0
                self.stats["plays refused as too old"] += 1
            elif times:
                if track_id in dead:
                    assert dead[track_id].message.startswith(UNCHECKED_MESSAGE)
                    self.stats["plays scrobbled, then unchecked dead letters"] += 1
                self.stats["plays scrobbled once"] += 1
            else:
                assert track_id in dead, f"seed {self.seed}: {track_id} lost"
                self.stats[f"plays dead: {dead[track_id].code}"] += 1
        # With their start times, in the order they started.
        starts = {play.track.title: play.timestamp for play in self.plays.values()}
        assert [s.timestamp for s in received] == [starts[s.track] for s in received]
        assert [s.timestamp for s in received] == sorted(s.timestamp for s in received)
        self.stats["requests: track.scrobble"] += len(self.server.requests_of("track.scrobble"))
        self.stats["requests: user.getRecentTracks"] += len(
            self.server.requests_of("user.getRecentTracks")
        )
        self.stats["plays"] += len(self.plays)
        self.stats["schedules"] += 1
        self.stats["Store writes"] += self.storage.saves


async def test_every_play_reaches_lastfm_once_in_order(socket_enabled: None) -> None:
    clock = Clock()
    stats: Counter[str] = Counter()
    async with FakeLastfm(clock=clock) as server, aiohttp.ClientSession() as http:
        server.register_app(API_KEY, API_SECRET)
        server.filtered_artists.add(FILTERED_ARTIST)
        server.filtered_tracks.add(FILTERED_TRACK)
        for seed in range(SCHEDULES):
            await Schedule(seed, server, http, clock, stats).run()
            server.requests.clear()
    print(f"\nFault injection over {SCHEDULES} seeded schedules:")  # noqa: T201
    for name, count in sorted(stats.items()):
        print(f"  {name}: {count}")  # noqa: T201
    assert stats["schedules"] == SCHEDULES
    assert stats["plays scrobbled once"] > 0
    assert stats["hard stops"] > 0
