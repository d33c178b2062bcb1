"""The sender: saves before it sends, maps each client error to its outcome, never dies."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
import logging
import random
from typing import Any

import pytest

from custom_components.scrobbler.lastfm import (
    LastfmAuthError,
    LastfmInvalidApiKeyError,
    LastfmInvalidRequestError,
    LastfmInvalidSignatureError,
    LastfmMalformedResponseError,
    LastfmOutcomeUnknownError,
    LastfmRateLimitError,
    LastfmTemporaryError,
    LastfmTokenExpiredError,
    LastfmTokenNotAuthorizedError,
    RecentTrack,
    Scrobble,
    ScrobbleResult,
)
from custom_components.scrobbler.scrobbling.queue import (
    AddResult,
    DeadLetter,
    ErrorKind,
    QueueEntry,
    QueueState,
    ScrobbleQueue,
)
from custom_components.scrobbler.scrobbling.sender import ScrobbleSender, classify

from .queue_support import (
    START,
    Clock,
    MemoryStorage,
    accepted,
    auto_enable_custom_integrations,
    ignored,
    play,
)

__all__ = ["auto_enable_custom_integrations"]

NOW = int(START)
type Answer = list[ScrobbleResult] | Exception | None


def recent(artist: str, title: str, timestamp: int) -> RecentTrack:
    """A play Last.fm has."""
    played_at = datetime.fromtimestamp(timestamp, UTC)
    return RecentTrack(artist, title, None, None, now_playing=False, played_at=played_at)


@dataclass
class ScriptedClient:
    """Answers track.scrobble as scripted (``None``: all accepted) and records what it got."""

    storage: MemoryStorage
    answers: list[Answer] = field(default_factory=list)
    recent: list[RecentTrack] | Exception = field(default_factory=list)
    sent: list[list[str]] = field(default_factory=list)
    # The plays marked in flight on disk when each request went out.
    on_disk: list[list[str]] = field(default_factory=list)
    checks: list[tuple[datetime | None, datetime | None]] = field(default_factory=list)

    async def scrobble(self, scrobbles: Sequence[Scrobble]) -> list[ScrobbleResult]:
        self.sent.append([s.track.title for s in scrobbles])
        self.on_disk.append([e["title"] for e in self.storage.data["in_flight"]])
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, Exception):
            raise answer
        return accepted(len(scrobbles)) if answer is None else answer

    async def get_recent_tracks(
        self,
        user: str,
        *,
        limit: int = 1,
        from_: datetime | None = None,
        to: datetime | None = None,
    ) -> list[RecentTrack]:
        assert user == "alice"
        assert limit == 1000
        self.checks.append((from_, to))
        if isinstance(self.recent, Exception):
            raise self.recent
        return self.recent


@dataclass
class Harness:
    clock: Clock = field(default_factory=Clock)
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    accepted: list[QueueEntry] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    reauths: int = 0
    client: ScriptedClient = field(init=False)
    sender: ScrobbleSender = field(init=False)

    def __post_init__(self) -> None:
        self.client = ScriptedClient(self.storage)
        self.sender = self.new_sender()

    def new_sender(self) -> ScrobbleSender:
        return ScrobbleSender(
            "acc",
            "alice",
            self.client,
            self.storage,
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=random.Random(0),  # noqa: S311
            on_accepted=self.accepted.append,
            on_reauth_needed=self._reauth,
            on_dead_letter=self.dead.append,
        )

    def _reauth(self) -> None:
        self.reauths += 1

    async def add(self, number: int, timestamp: int | None = None) -> AddResult:
        return await self.sender.add(
            play(number, NOW - 1000 + number if timestamp is None else timestamp),
            track_id=f"t{number}",
            player_id="kitchen",
        )

    async def idle(self) -> None:
        async with asyncio.timeout(10):
            await self.sender.wait_idle()


@pytest.fixture
async def harness() -> Any:
    harness = Harness()
    await harness.sender.start()
    yield harness
    await harness.sender.stop()


async def test_a_play_is_saved_at_once_and_sent_in_flight_on_disk(harness: Harness) -> None:
    await harness.idle()
    assert await harness.add(1) is AddResult.QUEUED
    # Saved before add() returns, before anything is sent.
    assert [e["title"] for e in harness.storage.data["pending"]] == ["Title 1"]
    assert harness.client.sent == []
    await harness.idle()
    assert harness.client.sent == [["Title 1"]]
    assert harness.client.on_disk == [["Title 1"]]
    assert [e.scrobble.track.title for e in harness.accepted] == ["Title 1"]
    assert harness.storage.data["pending"] == harness.storage.data["in_flight"] == []
    assert await harness.add(1) is AddResult.DUPLICATE
    counts = harness.sender.counts()
    assert (counts.pending, counts.in_flight, counts.scrobbled_today) == (0, 0, 1)
    # Three writes per play: queued, in flight, done.
    assert harness.storage.saves == 3


async def test_plays_queued_meanwhile_go_in_the_next_batch(harness: Harness) -> None:
    harness.client.answers = [LastfmTemporaryError("Service Offline", 11)]
    await harness.add(0)
    await harness.idle()
    assert harness.clock.now > START  # the backoff slept on the injected clock
    harness.client.answers = [LastfmAuthError("Invalid session key", 9)]
    await harness.add(1)
    await harness.idle()
    for number in range(2, 61):
        await harness.add(number)
    harness.sender.reauthenticated()
    await harness.idle()
    assert [len(batch) for batch in harness.client.sent] == [1, 1, 1, 50, 10]
    assert len(harness.accepted) == 61


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (LastfmOutcomeUnknownError("no answer after the request was sent"), "unknown_outcome"),
        (LastfmMalformedResponseError("not JSON"), "unknown_outcome"),
        (RuntimeError("a bug"), "unknown_outcome"),
        (LastfmRateLimitError("Rate limit", 29), "rate_limited"),
        (LastfmTemporaryError("Service Offline", 11), "temporary"),
        (LastfmAuthError("Invalid session key", 9), "auth"),
        (LastfmInvalidApiKeyError("Invalid API key", 10), "auth"),
        (LastfmInvalidRequestError("Invalid parameters", 6), "refused"),
        (LastfmInvalidSignatureError("Invalid method signature", 13), "auth"),
        (LastfmAuthError("Suspended API key", 26), "auth"),
        (LastfmTokenExpiredError("Item not available", 15), "refused"),
        (LastfmTokenNotAuthorizedError("Unauthorized token", 14), "refused"),
    ],
)
def test_each_client_error_has_its_outcome(error: Exception, kind: str) -> None:
    assert classify(error) == (ErrorKind(kind), getattr(error, "code", None))


async def test_no_answer_after_sending_is_checked_before_resending(harness: Harness) -> None:
    harness.client.answers = [LastfmOutcomeUnknownError("no answer after the request was sent")]
    for number in range(3):
        await harness.add(number)
    # Last.fm recorded the first two (one name corrected in case).
    harness.client.recent = [
        RecentTrack("ARTIST", "title 0", None, None, now_playing=False, played_at=None),
        RecentTrack("Artist", "Title 9", None, None, now_playing=True, played_at=None),
        recent("ARTIST", "title 0", NOW - 1000),
        recent("Artist", "Title 1", NOW - 999),
    ]
    await harness.idle()
    assert harness.client.sent == [["Title 0", "Title 1", "Title 2"], ["Title 2"]]
    assert harness.client.checks[0][0] == datetime.fromtimestamp(NOW - 1001, UTC)
    assert sorted(e.scrobble.track.title for e in harness.accepted) == [
        "Title 0",
        "Title 1",
        "Title 2",
    ]
    last_error = harness.sender.counts().last_error
    assert last_error is not None
    assert last_error.kind == "unknown_outcome"


async def test_a_batch_left_in_flight_is_checked_at_start() -> None:
    harness = Harness()
    queue = ScrobbleQueue("acc", clock=harness.clock)
    for number in range(3):
        queue.add(play(number, NOW - 100 + number), track_id=f"t{number}")
    queue.next_batch()
    queue.add(play(3, NOW - 10), track_id="t3")
    harness.storage.data = queue.to_dict()  # what a hard stop during the request left
    harness.client.recent = [recent("Artist", "Title 1", NOW - 99)]
    await harness.sender.start()
    try:
        await harness.idle()
    finally:
        await harness.sender.stop()
    assert harness.client.checks == [
        (datetime.fromtimestamp(NOW - 101, UTC), datetime.fromtimestamp(NOW - 97, UTC))
    ]
    assert harness.client.sent == [["Title 0", "Title 2", "Title 3"]]
    assert sorted(e.key.track_id for e in harness.accepted) == ["t0", "t1", "t2", "t3"]


async def test_refused_credentials_wait_for_reauth(harness: Harness) -> None:
    harness.client.answers = [LastfmAuthError("Invalid session key", 9)]
    await harness.add(1)
    await harness.idle()
    assert harness.reauths == 1
    assert harness.sender.counts().state is QueueState.REAUTH
    await harness.add(2)
    await harness.idle()
    assert harness.client.sent == [["Title 1"]]
    harness.sender.reauthenticated()
    await harness.idle()
    assert harness.client.sent == [["Title 1"], ["Title 1", "Title 2"]]
    assert harness.sender.counts().state is QueueState.READY


async def test_dead_letters_are_told_and_can_be_retried(harness: Harness) -> None:
    harness.client.answers = [
        [ignored(1, "Artist was ignored")],
        LastfmInvalidRequestError("Invalid parameters", 6),
    ]
    await harness.add(1)
    await harness.idle()
    await harness.add(2)
    await harness.idle()
    assert [(d.code, d.message) for d in harness.dead] == [
        (1, "Artist was ignored"),
        (6, "Invalid parameters"),
    ]
    assert harness.sender.counts().dead_letters == 2
    assert await harness.sender.retry_dead_letters() == 2
    assert len(harness.storage.data["pending"]) == 2  # saved at once
    await harness.idle()
    assert harness.client.sent[-1] == ["Title 1", "Title 2"]
    assert harness.sender.counts().dead_letters == 0
    assert await harness.sender.retry_dead_letters() == 0


async def test_plays_too_old_are_refused_or_die(harness: Harness) -> None:
    assert await harness.add(1, NOW - 15 * 86400) is AddResult.TOO_OLD
    assert harness.storage.saves == 0
    harness.client.answers = [LastfmAuthError("Invalid session key", 9)]
    await harness.add(2, NOW - 14 * 86400 + 60)
    await harness.idle()
    harness.clock.advance(120)
    harness.sender.reauthenticated()
    await harness.idle()
    assert [d.message for d in harness.dead] == ["too old for Last.fm"]
    assert harness.storage.data["dead_letters"][0]["message"] == "too old for Last.fm"


async def test_a_failing_callback_or_storage_does_not_stop_scrobbling(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(entry: QueueEntry) -> None:
        msg = "listener bug"
        raise RuntimeError(msg)

    harness.sender._on_accepted = broken
    await harness.add(1)
    await harness.idle()
    assert "Error in a scrobbling callback of alice" in caplog.text
    harness.storage.fail = True
    await harness.add(2)  # kept in memory; not sent while it cannot be saved in flight
    for _ in range(100):
        await asyncio.sleep(0)
        if (last_error := harness.sender.counts().last_error) is not None:
            break
    assert last_error is not None
    assert last_error.message == "the queue could not be saved"
    assert harness.client.sent == [["Title 1"]]
    assert "Could not save the scrobble queue of alice" in caplog.text
    harness.storage.fail = False
    await harness.idle()
    assert harness.client.sent == [["Title 1"], ["Title 2"]]
    assert [e["title"] for e in harness.storage.data["pending"]] == []


async def test_an_unexpected_error_in_the_task_is_logged_and_survived(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    expire = harness.sender.queue.expire

    def expire_once_broken() -> list[DeadLetter]:
        nonlocal calls
        calls += 1
        if calls == 1:
            msg = "a bug"
            raise RuntimeError(msg)
        return expire()

    monkeypatch.setattr(harness.sender.queue, "expire", expire_once_broken)
    await harness.add(1)
    await harness.idle()
    assert "Unexpected error while scrobbling to alice" in caplog.text
    assert harness.client.sent == [["Title 1"]]


async def test_an_unexpected_client_failure_is_an_unknown_outcome(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    harness.client.answers = [KeyError("parser bug")]
    harness.client.recent = LastfmTemporaryError("offline", 11)
    await harness.add(1)
    for _ in range(20):
        await asyncio.sleep(0)
        if len(harness.client.checks) >= 2:
            break
    assert "Unexpected failure of track.scrobble" in caplog.text
    assert harness.client.sent == [["Title 1"]]  # not resent before the check succeeds
    harness.client.recent = []
    await harness.idle()
    assert harness.client.sent == [["Title 1"], ["Title 1"]]


async def test_stop_saves_and_a_new_sender_resumes() -> None:
    harness = Harness()
    await harness.sender.stop()  # not started: nothing to do
    await harness.sender.start()
    harness.client.answers = [LastfmAuthError("Invalid session key", 9)]
    await harness.add(1)
    await harness.idle()
    await harness.sender.stop()
    assert len(harness.storage.data["pending"]) == 1
    harness.sender = harness.new_sender()
    await harness.sender.start()
    try:
        await harness.idle()  # the new credentials are tried at once
    finally:
        await harness.sender.stop()
    assert harness.client.sent == [["Title 1"], ["Title 1"]]


async def test_a_sender_without_callbacks() -> None:
    harness = Harness()
    harness.sender = ScrobbleSender("acc", "alice", harness.client, harness.storage)
    await harness.sender.start()
    harness.client.answers = [[ignored(2)], LastfmAuthError("Invalid session key", 9)]
    try:
        await harness.add(1, NOW - 100)
        await harness.idle()
        await harness.add(2, NOW - 50)
        await harness.idle()
    finally:
        await harness.sender.stop()
    counts = harness.sender.counts()
    assert (counts.dead_letters, counts.pending, counts.state) == (1, 1, QueueState.REAUTH)


async def test_plays_are_queued_once_the_saved_queue_is_loaded() -> None:
    harness = Harness()
    with pytest.raises(RuntimeError, match="not started"):
        await harness.add(1)
    await harness.sender.start()
    await harness.sender.start()  # started already: nothing more
    await harness.add(1)
    await harness.idle()
    await harness.sender.stop()
    # Stopped: a play is still saved, and sent after the next start.
    await harness.add(2)
    assert [e["title"] for e in harness.storage.data["pending"]] == ["Title 2"]
    await harness.sender.start()
    try:
        await harness.idle()
    finally:
        await harness.sender.stop()
    assert harness.client.sent == [["Title 1"], ["Title 2"]]


async def test_a_request_cut_off_by_stop_is_checked_after_a_restart(harness: Harness) -> None:
    sending = asyncio.Event()
    release = asyncio.Event()
    scrobble = harness.client.scrobble

    async def hanging(scrobbles: Sequence[Scrobble]) -> list[ScrobbleResult]:
        sending.set()
        await release.wait()
        return await scrobble(scrobbles)

    harness.client.scrobble = hanging  # type: ignore[method-assign]
    await harness.add(1)
    await sending.wait()
    await harness.sender.stop()
    assert [e["title"] for e in harness.storage.data["in_flight"]] == ["Title 1"]
    harness.client.scrobble = scrobble  # type: ignore[method-assign]
    harness.client.recent = [recent("Artist", "Title 1", NOW - 999)]  # it did arrive
    await harness.sender.start()  # the same sender again
    await harness.idle()
    assert harness.client.sent == []
    assert len(harness.client.checks) == 1
    assert [e.key.track_id for e in harness.accepted] == ["t1"]


async def test_a_stored_queue_this_version_cannot_read_is_refused() -> None:
    harness = Harness()
    harness.storage.data = {"version": 99}
    with pytest.raises(ValueError, match="not a stored scrobble queue"):
        await harness.sender.start()
