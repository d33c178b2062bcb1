"""A state machine of the queue against a simulated Last.fm: no play lost, none recorded twice.

Random sequences of adds (new plays and the same plays again), batches answered with random
per-play codes or failures, answers lost after Last.fm recorded some of the batch, checks of
those batches (which may fail too), clock jumps, reauths, retries of dead letters and restarts
from the stored data. After every step: every play is in exactly one place; Last.fm recorded no
play twice and each with its start time; what the queue calls accepted Last.fm has.
"""

import json
import random

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from custom_components.scrobbler.lastfm import Scrobble, ScrobbleResult, Track
from custom_components.scrobbler.scrobbling.queue import (
    DAILY_LIMIT_RETRY,
    DAY,
    KEEP_DEAD_LETTERS,
    MAX_AGE,
    MAX_BATCH,
    RATE_LIMIT_FIRST,
    RATE_LIMIT_MAX,
    RETRY_MAX,
    UNCHECKED_MESSAGE,
    AddResult,
    ErrorKind,
    PlayKey,
    QueueEntry,
    QueueState,
    ScrobbleQueue,
)

from .queue_support import Clock, auto_enable_custom_integrations

__all__ = ["auto_enable_custom_integrations"]

CODES = st.sampled_from([0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 8])
FAILURES = st.sampled_from(
    [ErrorKind.TEMPORARY, ErrorKind.RATE_LIMITED, ErrorKind.AUTH, ErrorKind.REFUSED]
)


class QueueMachine(RuleBasedStateMachine):
    """The queue under test, a simulated Last.fm, and what the model knows."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.rng = random.Random(0)  # noqa: S311 - jitter
        self.queue = ScrobbleQueue("acc", clock=self.clock, rng=self.rng)
        self.plays: dict[PlayKey, Scrobble] = {}
        self.count = 0
        # What Last.fm recorded, in order; and the plays the queue reported accepted.
        self.recorded: list[PlayKey] = []
        self.accepted: set[PlayKey] = set()
        # Dead letters whose plays Last.fm may have (their check failed): the user may resend.
        self.unchecked: set[PlayKey] = set()
        self.dead_at: dict[PlayKey, float] = {}

    # --- adding ---------------------------------------------------------------------------

    @rule(age=st.integers(0, 15 * DAY), player=st.sampled_from(["kitchen", "office", None]))
    def add_new_play(self, age: int, player: str | None) -> None:
        self.count += 1
        timestamp = int(self.clock.now) - age
        scrobble = Scrobble(Track("Artist", f"Title {self.count}", duration=200), timestamp)
        result = self.queue.add(scrobble, track_id=f"id{self.count}", player_id=player)
        key = self.queue.key_of(f"id{self.count}", timestamp)
        if age > MAX_AGE:
            assert result is AddResult.TOO_OLD
        else:
            assert result is AddResult.QUEUED
            self.plays[key] = scrobble

    @precondition(lambda self: self.plays)
    @rule(data=st.data())
    def add_a_known_play_again(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.plays)))
        result = self.queue.add(self.plays[key], track_id=key.track_id, player_id="again")
        assert result in (AddResult.DUPLICATE, AddResult.TOO_OLD)

    # --- sending --------------------------------------------------------------------------

    def _next_batch(self) -> list[QueueEntry] | None:
        before = self.queue.pending
        ready = self.queue.retry_in() == 0 and not self.queue.in_flight
        batch = self.queue.next_batch()
        if not ready or not before:
            assert batch is None
            return None
        assert batch is not None
        assert batch == list(before[:MAX_BATCH])
        for entry in batch:
            assert entry.scrobble == self.plays[entry.key]
        return batch

    def _record(self, entry: QueueEntry) -> None:
        if entry.key in self.recorded:
            assert entry.key in self.unchecked, f"{entry.key} recorded twice"
        self.recorded.append(entry.key)

    def _accept(self, entries: list[QueueEntry]) -> None:
        for entry in entries:
            assert entry.key not in self.accepted, f"{entry.key} accepted twice"
            assert entry.key in self.recorded
            self.accepted.add(entry.key)

    @rule(codes=st.lists(CODES, min_size=MAX_BATCH, max_size=MAX_BATCH))
    def send_and_answer(self, codes: list[int]) -> None:
        batch = self._next_batch()
        if batch is None:
            return
        results = []
        for entry, code in zip(batch, codes, strict=False):
            if code == 0:
                self._record(entry)
            results.append(ScrobbleResult(code == 0, code, f"code {code}" if code else ""))
        outcome = self.queue.sent(results)
        self._accept(outcome.accepted)
        assert [e.key for e in outcome.accepted] == [
            e.key for e, c in zip(batch, codes, strict=False) if c == 0
        ]
        assert {d.entry.key for d in outcome.dead_letters} == {
            e.key for e, c in zip(batch, codes, strict=False) if c not in (0, 5)
        }
        if 5 in codes[: len(batch)]:
            assert self.queue.state is QueueState.DAILY_LIMIT
            assert self.queue.retry_in() == DAILY_LIMIT_RETRY
        else:
            assert self.queue.state is QueueState.READY

    @rule(kind=FAILURES, code=st.sampled_from([None, 6, 11, 29]))
    def send_and_fail(self, kind: ErrorKind, code: int | None) -> None:
        batch = self._next_batch()
        if batch is None:
            return
        outcome = self.queue.failed(kind, "failed", code)
        assert not outcome.accepted
        assert outcome.reauth_needed == (kind is ErrorKind.AUTH)
        delay = self.queue.retry_in()
        match kind:
            case ErrorKind.TEMPORARY:
                assert delay is not None
                assert 0 < delay <= RETRY_MAX
            case ErrorKind.RATE_LIMITED:
                assert delay is not None
                assert RATE_LIMIT_FIRST <= delay <= RATE_LIMIT_MAX
            case ErrorKind.AUTH:
                assert delay is None
            case _:
                assert [d.entry for d in outcome.dead_letters] == batch
                assert all(d.code == code for d in outcome.dead_letters)

    @rule(recorded=st.lists(st.booleans(), min_size=MAX_BATCH, max_size=MAX_BATCH))
    def send_and_lose_the_answer(self, recorded: list[bool]) -> None:
        batch = self._next_batch()
        if batch is None:
            return
        for entry, was_recorded in zip(batch, recorded, strict=False):
            if was_recorded:
                self._record(entry)
        self.queue.failed(ErrorKind.UNKNOWN_OUTCOME, "no answer after the request was sent")
        assert self.queue.needs_reconcile
        delay = self.queue.retry_in()
        assert delay is not None
        assert 0 < delay <= RETRY_MAX

    @rule(recorded=st.lists(st.booleans(), min_size=MAX_BATCH, max_size=MAX_BATCH))
    def send_and_stop(self, recorded: list[bool]) -> None:
        """HA stops during the request: the batch is checked when the queue goes on."""
        batch = self._next_batch()
        if batch is None:
            return
        for entry, was_recorded in zip(batch, recorded, strict=False):
            if was_recorded:
                self._record(entry)
        self.queue.interrupted()
        assert self.queue.needs_reconcile
        assert self.queue.retry_in() == 0

    @precondition(lambda self: self.queue.needs_reconcile)
    @rule(upper=st.booleans())
    def check_the_batch(self, upper: bool) -> None:
        if self.queue.retry_in() != 0:
            return
        in_flight = self.queue.in_flight
        first, last = self.queue.reconcile_window()
        window = [
            (
                self.plays[key].track.artist.upper() if upper else self.plays[key].track.artist,
                self.plays[key].track.title,
                key.timestamp,
            )
            for key in self.recorded
            if first <= key.timestamp <= last + 1
        ]
        outcome = self.queue.reconciled(window)
        self._accept(outcome.accepted)
        recorded = set(self.recorded)
        assert {e.key for e in outcome.accepted} == {e.key for e in in_flight} & recorded
        assert not self.queue.in_flight

    @precondition(lambda self: self.queue.needs_reconcile)
    @rule(kind=st.sampled_from(ErrorKind))
    def check_the_batch_and_fail(self, kind: ErrorKind) -> None:
        if self.queue.retry_in() != 0:
            return
        in_flight = self.queue.in_flight
        outcome = self.queue.reconcile_failed(kind, "failed", 17)
        if kind is ErrorKind.REFUSED:
            assert [d.entry for d in outcome.dead_letters] == list(in_flight)
            assert all(d.message.startswith(UNCHECKED_MESSAGE) for d in outcome.dead_letters)
            self.unchecked.update(entry.key for entry in in_flight)
        else:
            assert self.queue.in_flight == in_flight
            assert self.queue.needs_reconcile

    # --- the rest -------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([1, 30, 900, 3600, DAY, 5 * DAY, 20 * DAY]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)
        for letter in self.queue.expire():
            assert letter.entry.scrobble.timestamp < self.clock.now - MAX_AGE

    @rule()
    def reauthenticate(self) -> None:
        self.queue.reauthenticated()
        assert self.queue.state is not QueueState.REAUTH

    @rule()
    def retry_dead_letters(self) -> None:
        letters = self.queue.dead_letters
        assert self.queue.retry_dead_letters() == len(letters)
        assert not self.queue.dead_letters

    @rule()
    def restart(self) -> None:
        data = json.loads(json.dumps(self.queue.to_dict()))
        in_flight = self.queue.in_flight
        self.queue = ScrobbleQueue.from_dict(data, clock=self.clock, rng=self.rng)
        assert self.queue.in_flight == in_flight
        assert self.queue.needs_reconcile == bool(in_flight)
        if data["state"] == QueueState.REAUTH:
            # A wait for a reauth is not restored: the credentials are tried again.
            data.update(state=QueueState.READY.value, retry_at=0.0, attempts=0)
        assert self.queue.to_dict() == data

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def every_play_is_in_exactly_one_place(self) -> None:
        pending = [e.key for e in self.queue.pending]
        in_flight = [e.key for e in self.queue.in_flight]
        dead = [d.entry.key for d in self.queue.dead_letters]
        for letter in self.queue.dead_letters:
            self.dead_at[letter.entry.key] = letter.at
        places = pending + in_flight + dead
        assert len(places) == len(set(places))
        missing = self.plays.keys() - set(places) - self.accepted
        for key in missing:  # only dead letters are forgotten, after 30 days
            assert self.dead_at[key] < self.clock.now - KEEP_DEAD_LETTERS + 1
        assert not set(places) & self.accepted

    @invariant()
    def pending_is_oldest_first(self) -> None:
        order = [(e.scrobble.timestamp, e.queued_at) for e in self.queue.pending]
        assert order == sorted(order)

    @invariant()
    def accepted_plays_are_what_lastfm_has(self) -> None:
        assert self.accepted <= set(self.recorded)
        unsettled = set(self.recorded) - self.accepted
        in_flight = {e.key for e in self.queue.in_flight}
        dead = {d.entry.key for d in self.queue.dead_letters}
        # Recorded but not known as accepted: its batch is still being checked, or its check
        # failed and it waits as a dead letter (or was forgotten as one).
        for key in unsettled:
            assert key in in_flight or key in self.unchecked
            assert key in in_flight or key in dead or key in self.dead_at

    @invariant()
    def counts_agree(self) -> None:
        counts = self.queue.counts()
        assert counts.pending == len(self.queue.pending)
        assert counts.in_flight == len(self.queue.in_flight)
        assert counts.dead_letters == len(self.queue.dead_letters)
        assert counts.state is self.queue.state


QueueMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
test_queue_machine = QueueMachine.TestCase
