"""The queue model: each Last.fm outcome does what the table says."""

from datetime import timedelta, timezone
import random

import pytest

from custom_components.scrobbler.lastfm import Scrobble, Track
from custom_components.scrobbler.scrobbling.queue import (
    DAILY_LIMIT_RETRY,
    DAY,
    MAX_AGE,
    RATE_LIMIT_FIRST,
    RATE_LIMIT_MAX,
    RETRY_MAX,
    TOO_OLD_MESSAGE,
    AddResult,
    ErrorKind,
    PlayKey,
    QueueState,
    ScrobbleQueue,
)

from .queue_support import (
    START,
    Clock,
    accepted,
    auto_enable_custom_integrations,
    ignored,
    json_round_trip,
    play,
)

__all__ = ["auto_enable_custom_integrations"]

NOW = int(START)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(clock: Clock) -> ScrobbleQueue:
    return ScrobbleQueue("acc", clock=clock, rng=random.Random(1))  # noqa: S311


def fill(queue: ScrobbleQueue, count: int, *, first: int = NOW - 10_000) -> None:
    for number in range(count):
        queue.add(play(number, first + 60 * number), track_id=f"t{number}", player_id="p")


def titles(entries: object) -> list[str]:
    return [entry.scrobble.track.title for entry in entries]  # type: ignore[attr-defined]


def test_a_play_is_queued_once_whatever_its_state(queue: ScrobbleQueue) -> None:
    assert queue.add(play(1, NOW - 100), track_id="t1") is AddResult.QUEUED
    assert queue.add(play(1, NOW - 100), track_id="t1") is AddResult.DUPLICATE
    # Another start time, or another track at the same time, is another play.
    assert queue.add(play(1, NOW - 50), track_id="t1") is AddResult.QUEUED
    assert queue.add(play(2, NOW - 100), track_id="t2") is AddResult.QUEUED
    assert queue.key_of("t1", NOW - 100) == PlayKey("acc", "t1", NOW - 100)
    batch = queue.next_batch()
    assert batch is not None
    assert queue.retry_in() is None  # being sent
    assert queue.add(play(1, NOW - 100), track_id="t1") is AddResult.DUPLICATE  # in flight
    queue.sent(accepted(len(batch)))
    assert queue.add(play(1, NOW - 100), track_id="t1") is AddResult.DUPLICATE  # done
    assert not queue.pending
    assert PlayKey("acc", "t1", NOW - 100) in queue


def test_oldest_first_in_batches_of_fifty(queue: ScrobbleQueue) -> None:
    fill(queue, 120)
    queue.add(play(999, NOW - 20_000), track_id="early")  # started before the others
    first = queue.next_batch()
    assert first is not None
    assert len(first) == 50
    assert titles(first)[:2] == ["Title 999", "Title 0"]
    assert queue.next_batch() is None  # one batch at a time
    queue.sent(accepted(50))
    second = queue.next_batch()
    assert second is not None
    assert titles(second)[0] == "Title 49"
    queue.sent(accepted(50))
    third = queue.next_batch()
    assert third is not None
    assert len(third) == 21
    assert queue.next_batch() is None


def test_accepted_plays_are_done_and_counted_per_day(clock: Clock) -> None:
    plus_two = timezone(timedelta(hours=2))
    clock.now = 1_800_057_600 - 2 * 3600 - 60  # 23:59 in UTC+2
    queue = ScrobbleQueue("acc", clock=clock, tz=plus_two)
    fill(queue, 3, first=int(clock.now) - 1000)
    batch = queue.next_batch()
    assert batch is not None
    outcome = queue.sent(accepted(3))
    assert outcome.accepted == batch
    assert not outcome.dead_letters
    assert queue.counts().scrobbled_today == 3
    clock.advance(120)  # midnight in UTC+2
    assert queue.counts().scrobbled_today == 0
    assert queue.counts().pending == 0


@pytest.mark.parametrize("code", [1, 2, 3, 4, 7])
def test_ignored_plays_become_dead_letters(queue: ScrobbleQueue, code: int) -> None:
    fill(queue, 3)
    assert queue.next_batch() is not None
    outcome = queue.sent([*accepted(1), ignored(code, "Artist was ignored"), ignored(code)])
    assert titles(outcome.accepted) == ["Title 0"]
    assert [(d.code, d.message) for d in outcome.dead_letters] == [
        (code, "Artist was ignored"),
        (code, f"ignored by Last.fm ({code})"),
    ]
    assert queue.dead_letters == tuple(outcome.dead_letters)
    assert queue.state is QueueState.READY
    assert queue.counts().dead_letters == 2


def test_daily_limit_keeps_everything_and_retries_hourly(
    queue: ScrobbleQueue, clock: Clock
) -> None:
    fill(queue, 4)
    queue.next_batch()
    outcome = queue.sent([*accepted(1), ignored(5, "Max daily scrobbles exceeded"), *accepted(2)])
    assert titles(outcome.accepted) == ["Title 0", "Title 2", "Title 3"]
    assert titles(queue.pending) == ["Title 1"]
    assert queue.state is QueueState.DAILY_LIMIT
    assert queue.retry_in() == DAILY_LIMIT_RETRY
    last_error = queue.counts().last_error
    assert last_error is not None
    assert (last_error.code, last_error.message) == (5, "Max daily scrobbles exceeded")
    queue.add(play(50, NOW), track_id="new")
    assert queue.next_batch() is None
    clock.advance(DAILY_LIMIT_RETRY)
    batch = queue.next_batch()
    assert batch is not None
    assert titles(batch) == ["Title 1", "Title 50"]
    queue.sent([ignored(5), ignored(5)])
    assert queue.retry_in() == DAILY_LIMIT_RETRY  # hourly, not growing
    assert len(queue.pending) == 2


def test_temporary_failures_back_off_with_jitter_up_to_15_minutes(
    queue: ScrobbleQueue, clock: Clock
) -> None:
    fill(queue, 60)
    delays = []
    for _ in range(12):
        batch = queue.next_batch()
        assert batch is not None
        assert len(batch) == 50
        outcome = queue.failed(ErrorKind.TEMPORARY, "Service Offline", 11)
        assert outcome.accepted == outcome.dead_letters == []
        assert queue.state is QueueState.BACKOFF
        delay = queue.retry_in()
        assert delay is not None
        delays.append(delay)
        assert queue.next_batch() is None
        clock.advance(delay)
    assert 7.5 <= delays[0] <= 15
    assert 15 <= delays[1] <= 30
    assert all(delay <= RETRY_MAX for delay in delays)
    assert max(delays) > RETRY_MAX / 2
    assert titles(queue.pending) == [f"Title {n}" for n in range(60)]
    queue.next_batch()
    queue.sent(accepted(50))
    assert queue.state is QueueState.READY
    assert queue.retry_in() == 0
    queue.next_batch()
    queue.failed(ErrorKind.TEMPORARY, "again")
    assert (queue.retry_in() or 0) <= 15  # the attempts start over after a success


def test_rate_limit_backs_off_longer(queue: ScrobbleQueue, clock: Clock) -> None:
    fill(queue, 2)
    delays = []
    for _ in range(10):
        queue.next_batch()
        queue.failed(ErrorKind.RATE_LIMITED, "Rate Limit Exceeded", 29)
        assert queue.state is QueueState.RATE_LIMITED
        delay = queue.retry_in()
        assert delay is not None
        delays.append(delay)
        clock.advance(delay)
    assert RATE_LIMIT_FIRST <= delays[0] <= 1.5 * RATE_LIMIT_FIRST
    assert all(RATE_LIMIT_FIRST <= delay <= RATE_LIMIT_MAX for delay in delays)
    assert delays[-1] == RATE_LIMIT_MAX
    assert len(queue.pending) == 2


def test_refused_credentials_stop_until_reauthenticated(queue: ScrobbleQueue, clock: Clock) -> None:
    fill(queue, 3)
    queue.next_batch()
    outcome = queue.failed(ErrorKind.AUTH, "Invalid session key", 9)
    assert outcome.reauth_needed
    assert queue.state is QueueState.REAUTH
    assert queue.retry_in() is None
    clock.advance(10 * DAY)
    assert queue.next_batch() is None
    assert len(queue.pending) == 3
    queue.reauthenticated()
    batch = queue.next_batch()
    assert batch is not None
    assert titles(batch) == ["Title 0", "Title 1", "Title 2"]


def test_other_error_codes_dead_letter_the_batch(queue: ScrobbleQueue) -> None:
    fill(queue, 55)
    queue.next_batch()
    outcome = queue.failed(ErrorKind.REFUSED, "Invalid parameters", 6)
    assert len(outcome.dead_letters) == 50
    assert {(d.code, d.message) for d in outcome.dead_letters} == {(6, "Invalid parameters")}
    assert queue.state is QueueState.READY
    assert len(queue.pending) == 5
    assert queue.next_batch() is not None


def test_unknown_outcome_is_reconciled_and_only_the_missing_are_resent(
    queue: ScrobbleQueue, clock: Clock
) -> None:
    fill(queue, 4)
    queue.add(play(9, NOW - 100), track_id="later")
    batch = queue.next_batch()
    assert batch is not None
    queue.failed(ErrorKind.UNKNOWN_OUTCOME, "no answer after the request was sent")
    assert queue.in_flight == tuple(batch)
    assert queue.needs_reconcile
    delay = queue.retry_in()
    assert delay is not None
    assert 15 <= delay <= 30
    assert queue.next_batch() is None  # nothing is sent before the check
    clock.advance(delay)
    assert queue.next_batch() is None
    assert queue.reconcile_window() == (NOW - 10_000, NOW - 100)
    first, second, _, fourth, _ = batch
    outcome = queue.reconciled(
        [
            # Last.fm corrected the name: the start time still matches.
            ("ARTIST", "Title 0 (Remastered)", first.scrobble.timestamp),
            ("artist", "title 1", second.scrobble.timestamp),
            ("Artist", "Title 3", fourth.scrobble.timestamp),
            ("Someone", "Else", NOW - 5000),
        ]
    )
    assert titles(outcome.accepted) == ["Title 0", "Title 1", "Title 3"]
    assert not queue.in_flight
    assert not queue.needs_reconcile
    assert titles(queue.pending) == ["Title 2", "Title 9"]
    assert queue.state is QueueState.READY
    assert queue.counts().scrobbled_today == 3


def test_reconcile_tells_apart_two_plays_of_the_same_second(queue: ScrobbleQueue) -> None:
    queue.add(play(1, NOW - 100), track_id="a", player_id="kitchen")
    queue.add(play(2, NOW - 100), track_id="b", player_id="office")
    queue.next_batch()
    queue.failed(ErrorKind.UNKNOWN_OUTCOME, "timeout")
    outcome = queue.reconciled([("Artist", "Title 2", NOW - 100)])
    assert titles(outcome.accepted) == ["Title 2"]
    assert titles(queue.pending) == ["Title 1"]


def test_a_failed_check_waits_or_dead_letters(queue: ScrobbleQueue, clock: Clock) -> None:
    fill(queue, 2)
    queue.next_batch()
    queue.failed(ErrorKind.UNKNOWN_OUTCOME, "timeout")
    for kind in (ErrorKind.TEMPORARY, ErrorKind.UNKNOWN_OUTCOME, ErrorKind.RATE_LIMITED):
        clock.advance(queue.retry_in() or 0)
        outcome = queue.reconcile_failed(kind, "no", 11)
        assert not outcome.dead_letters
        assert queue.needs_reconcile
        assert (queue.retry_in() or 0) > 0
    clock.advance(queue.retry_in() or 0)
    assert queue.reconcile_failed(ErrorKind.AUTH, "Invalid API key", 10).reauth_needed
    assert queue.retry_in() is None
    queue.reauthenticated()
    assert queue.needs_reconcile
    assert queue.retry_in() == 0
    # The check is refused (a private profile): resending could duplicate, so the plays wait.
    outcome = queue.reconcile_failed(ErrorKind.REFUSED, "Login required", 17)
    assert [d.code for d in outcome.dead_letters] == [17, 17]
    assert outcome.dead_letters[0].message.startswith("could not check whether Last.fm")
    assert not queue.in_flight
    assert queue.retry_dead_letters() == 2
    assert len(queue.pending) == 2


def test_plays_older_than_14_days_die(queue: ScrobbleQueue, clock: Clock) -> None:
    # Refused at once (the caller says so); not a dead letter.
    assert queue.add(play(1, NOW - MAX_AGE - 1), track_id="old") is AddResult.TOO_OLD
    assert not queue.dead_letters
    assert queue.add(play(2, NOW - MAX_AGE + 100), track_id="soon old") is AddResult.QUEUED
    queue.add(play(3, NOW), track_id="new")
    assert queue.expire() == []
    clock.advance(101)
    [letter] = queue.expire()
    assert (letter.code, letter.message) == (None, TOO_OLD_MESSAGE)
    assert queue.dead_letters == (letter,)
    assert titles(queue.pending) == ["Title 3"]
    assert queue.next_batch() is not None
    # Retried, it dies again.
    assert queue.retry_dead_letters() == 1
    assert queue.expire()[0].entry == letter.entry


def test_old_keys_and_dead_letters_are_forgotten(queue: ScrobbleQueue, clock: Clock) -> None:
    fill(queue, 2, first=NOW - 100)
    queue.next_batch()
    queue.sent([*accepted(1), ignored(1)])
    assert len(queue.to_dict()["done"]) == 1
    clock.advance(16 * DAY)
    queue.expire()
    assert queue.to_dict()["done"] == []
    assert len(queue.dead_letters) == 1
    clock.advance(15 * DAY)
    queue.expire()
    assert not queue.dead_letters
    assert PlayKey("acc", "t1", NOW - 40) not in queue


def test_counts(queue: ScrobbleQueue, clock: Clock) -> None:
    empty = queue.counts()
    assert (empty.pending, empty.in_flight, empty.oldest_age, empty.retry_at) == (0, 0, None, None)
    assert queue.retry_in() is None
    fill(queue, 3, first=NOW - 600)
    queue.next_batch()
    queue.add(play(7, NOW), track_id="t7")
    queue.failed(ErrorKind.TEMPORARY, "Service Offline", 11)
    counts = queue.counts()
    assert (counts.pending, counts.in_flight, counts.dead_letters) == (4, 0, 0)
    assert counts.oldest_age == 600
    assert counts.state is QueueState.BACKOFF
    assert counts.retry_at is not None
    assert counts.retry_at > clock.now
    assert counts.last_error is not None
    assert (counts.last_error.kind, counts.last_error.code) == ("temporary", 11)


def test_a_result_count_that_does_not_match_is_an_unknown_outcome(queue: ScrobbleQueue) -> None:
    fill(queue, 2)
    queue.next_batch()
    outcome = queue.sent(accepted(1))
    assert not outcome.accepted
    assert queue.needs_reconcile


def test_storage_round_trip(queue: ScrobbleQueue, clock: Clock) -> None:
    fill(queue, 3)
    queue.add(play(8, NOW - 10), track_id="t8")
    queue.next_batch()
    queue.sent([ignored(2, "Track was ignored"), *accepted(3)])
    radio = Track("Ünïcode", "On air", mbid="mbid-1", track_number=3)
    queue.add(Scrobble(radio, NOW - 8, chosen_by_user=False), track_id="t9", player_id=None)
    fill(queue, 60, first=NOW - 5)
    queue.next_batch()
    data = json_round_trip(queue.to_dict())
    assert data["version"] == 1
    restored = ScrobbleQueue.from_dict(data, clock=clock)
    assert restored.to_dict() == data
    # The batch in flight may have reached Last.fm: it is checked first.
    assert restored.needs_reconcile
    assert restored.retry_in() == 0
    assert restored.in_flight == queue.in_flight
    assert restored.pending == queue.pending
    assert restored.dead_letters == queue.dead_letters
    assert restored.counts() == queue.counts()
    assert restored.add(play(0, NOW - 10_000), track_id="t0") is AddResult.DUPLICATE


def test_a_wait_for_reauth_is_not_restored(queue: ScrobbleQueue, clock: Clock) -> None:
    fill(queue, 1)
    queue.next_batch()
    queue.failed(ErrorKind.AUTH, "Invalid session key", 9)
    restored = ScrobbleQueue.from_dict(json_round_trip(queue.to_dict()), clock=clock)
    assert restored.state is QueueState.READY
    assert restored.next_batch() is not None
    queue.reauthenticated()
    queue.next_batch()
    queue.failed(ErrorKind.RATE_LIMITED, "slow down", 29)
    restored = ScrobbleQueue.from_dict(json_round_trip(queue.to_dict()), clock=clock)
    assert restored.state is QueueState.RATE_LIMITED
    assert restored.retry_in() == queue.retry_in()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(version=2),
        lambda d: d.pop("pending"),
        lambda d: d.update(state="sleeping"),
        lambda d: d["pending"][0].update(timestamp="soon"),
        lambda d: d["pending"][0].update(duration=[1]),
        lambda d: d.update(done=[[1]]),
    ],
)
def test_data_that_is_not_a_queue_is_refused(queue: ScrobbleQueue, change: object) -> None:
    fill(queue, 1)
    data = json_round_trip(queue.to_dict())
    change(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match="not a stored scrobble queue"):
        ScrobbleQueue.from_dict(data)


def test_a_play_of_ours_done_before_is_not_taken_for_a_corrected_name(
    queue: ScrobbleQueue,
) -> None:
    queue.add(play(1, NOW - 100), track_id="a")
    queue.next_batch()
    queue.sent(accepted(1))
    queue.add(play(2, NOW - 100), track_id="b")  # another player, the same second
    queue.next_batch()
    queue.failed(ErrorKind.UNKNOWN_OUTCOME, "timeout")
    # Only the play done before is there: the other one must be sent again.
    outcome = queue.reconciled([("Artist", "Title 1", NOW - 100)])
    assert not outcome.accepted
    assert titles(queue.pending) == ["Title 2"]
