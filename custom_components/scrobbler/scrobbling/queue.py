"""The queue of one Last.fm account: plays waiting for Last.fm, and what each answer does.

Pure logic: no I/O, no Home Assistant. The clock and the random source (for the jitter of
retries) are injected. The sender (:mod:`.sender`) asks for a batch, persists the queue with
the batch marked in flight, sends it, and reports the answer back:

======================================================  =====================================
Outcome                                                 Action
======================================================  =====================================
accepted (ignored code 0)                               done; an "accepted" entry is returned
ignored 1-4 (filtered artist/track, timestamp)          dead letter, with the code and message
ignored 5 (daily limit)                                 kept; the account pauses for an hour
11, 16, HTTP 5xx, network error, timeout before sending kept; exponential backoff with jitter,
                                                        at most 15 minutes
29, HTTP 429                                            kept; a longer backoff (from 60 s)
credentials refused (9, 4 with a session key, 10, 13,   kept; sending stops until
26)                                                     :meth:`ScrobbleQueue.reauthenticated`
no answer after the request was sent, or an answer      kept in flight; after a backoff, the
that is not Last.fm's                                   plays Last.fm has in the batch's time
                                                        window are done, the others go back
any other error code                                    the batch's plays become dead letters
a play waiting for more than 14 days since it started    dead letter ("too old for Last.fm")
======================================================  =====================================

Each play has an idempotency key (account, track identity, start time): a play is queued once,
whether it is waiting, in flight, dead-lettered, or was accepted in the last 15 days.
"""

from bisect import insort
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
import random
import time
from typing import Any, Final, NamedTuple

from custom_components.scrobbler.lastfm.models import Scrobble, ScrobbleResult, Track

STORAGE_VERSION: Final = 1
MAX_BATCH: Final = 50
DAY: Final = 24 * 3600
# Last.fm ignores plays older than about two weeks.
MAX_AGE: Final = 14 * DAY
# Keys of accepted plays are remembered this long (by play time): older plays are too old anyway.
KEEP_DONE_KEYS: Final = MAX_AGE + DAY
# Dead letters are kept this long after they died.
KEEP_DEAD_LETTERS: Final = 30 * DAY
RETRY_FIRST: Final = 15.0
RETRY_MAX: Final = 15 * 60.0
UNKNOWN_OUTCOME_FIRST: Final = 30.0
RATE_LIMIT_FIRST: Final = 60.0
RATE_LIMIT_MAX: Final = 3600.0
DAILY_LIMIT_RETRY: Final = 3600.0
IGNORED_DAILY_LIMIT: Final = 5
TOO_OLD_MESSAGE: Final = "too old for Last.fm"
UNCHECKED_MESSAGE: Final = "could not check whether Last.fm recorded it"


class PlayKey(NamedTuple):
    """What makes a play unique: the account, the track's identity and the start time."""

    account: str
    track_id: str
    timestamp: int


class ErrorKind(StrEnum):
    """What a failed call means for the plays it carried."""

    # Nothing was recorded (11, 16, HTTP 5xx, network, timeout before sending): retry.
    TEMPORARY = "temporary"
    # Too many requests (29, HTTP 429): retry later.
    RATE_LIMITED = "rate_limited"
    # The credentials were refused: stop until a reauth.
    AUTH = "auth"
    # Last.fm may have recorded the batch (no answer after sending, a garbled answer).
    UNKNOWN_OUTCOME = "unknown_outcome"
    # The request was refused (any other code): do not send it again.
    REFUSED = "refused"


class QueueState(StrEnum):
    """Whether the account may send."""

    READY = "ready"
    BACKOFF = "backoff"
    RATE_LIMITED = "rate_limited"
    DAILY_LIMIT = "daily_limit"
    REAUTH = "reauth"


class AddResult(StrEnum):
    """What :meth:`ScrobbleQueue.add` did with a play."""

    QUEUED = "queued"
    DUPLICATE = "duplicate"
    TOO_OLD = "too_old"


@dataclass(frozen=True)
class QueueEntry:
    """A play waiting for Last.fm.

    Attributes:
        player_id: the player it was heard on (``None`` when not from a player).
        queued_at: when it was queued (UNIX seconds).
    """

    key: PlayKey
    scrobble: Scrobble
    player_id: str | None
    queued_at: float


@dataclass(frozen=True)
class DeadLetter:
    """A play that will not be sent again unless the user asks: why, and since when.

    Attributes:
        code: the Last.fm code (an ignored code, or an error code); ``None`` for our own rules.
    """

    entry: QueueEntry
    code: int | None
    message: str
    at: float


@dataclass(frozen=True)
class LastError:
    """The last failure of the account (``code`` is Last.fm's, when there was one)."""

    kind: str
    code: int | None
    message: str
    at: float


@dataclass
class Outcome:
    """What an answer did: plays accepted, plays dead-lettered, whether a reauth is needed."""

    accepted: list[QueueEntry] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    reauth_needed: bool = False


@dataclass(frozen=True)
class QueueCounts:
    """The figures of a queue, for sensors and diagnostics.

    Attributes:
        oldest_age: seconds since the start of the oldest play not sent yet (``None``: none).
        retry_at: when sending resumes after a backoff or pause (UNIX seconds), if it waits.
    """

    pending: int
    in_flight: int
    dead_letters: int
    scrobbled_today: int
    oldest_age: float | None
    state: QueueState
    retry_at: float | None
    last_error: LastError | None


def _sort_key(entry: QueueEntry) -> tuple[int, float]:
    return entry.scrobble.timestamp, entry.queued_at


class ScrobbleQueue:
    """The plays of one account, oldest first, and the rules of sending them."""

    def __init__(
        self,
        account: str,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        tz: tzinfo = UTC,
    ) -> None:
        """Create an empty queue.

        Args:
            account: the account's identifier, part of every play's key.
            clock: the time now (UNIX seconds).
            rng: the random source of the retry jitter.
            tz: the time zone whose day "scrobbled today" counts.
        """
        self.account = account
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._tz = tz
        self._pending: list[QueueEntry] = []
        self._in_flight: list[QueueEntry] = []
        # Whether the batch in flight may have been recorded without our knowing.
        self._outcome_unknown = False
        self._dead: list[DeadLetter] = []
        self._done: set[PlayKey] = set()
        self._keys: set[PlayKey] = set()
        self._state = QueueState.READY
        self._retry_at = 0.0
        self._attempts = 0
        self._last_error: LastError | None = None
        self._day = ""
        self._today = 0

    # --- reading --------------------------------------------------------------------------

    @property
    def pending(self) -> Sequence[QueueEntry]:
        """The plays waiting to be sent, oldest first."""
        return tuple(self._pending)

    @property
    def in_flight(self) -> Sequence[QueueEntry]:
        """The batch being sent (or whose outcome is being checked)."""
        return tuple(self._in_flight)

    @property
    def dead_letters(self) -> Sequence[DeadLetter]:
        """The plays that will not be sent again unless retried, oldest death first."""
        return tuple(self._dead)

    @property
    def state(self) -> QueueState:
        """Whether the account may send."""
        return self._state

    @property
    def needs_reconcile(self) -> bool:
        """Whether the batch in flight must be checked against Last.fm before anything else."""
        return bool(self._in_flight) and self._outcome_unknown

    def key_of(self, track_id: str, timestamp: int) -> PlayKey:
        """The key of a play of this account."""
        return PlayKey(self.account, track_id, timestamp)

    def started_since(self, track_id: str, since: float) -> bool:
        """Whether a known play of a track (waiting, sent, dead, accepted lately) started after since.

        That is a play of the same item which a restart of tracking would count twice.
        """
        return any(key.track_id == track_id and key.timestamp > since for key in self._keys)

    def __contains__(self, key: object) -> bool:
        """Whether a play is known: waiting, in flight, dead, or accepted recently."""
        return key in self._keys

    def counts(self) -> QueueCounts:
        """The figures of the queue now."""
        now = self._clock()
        waiting = [*self._in_flight, *self._pending]
        oldest = min((entry.scrobble.timestamp for entry in waiting), default=None)
        return QueueCounts(
            pending=len(self._pending),
            in_flight=len(self._in_flight),
            dead_letters=len(self._dead),
            scrobbled_today=self._today if self._day == self._day_of(now) else 0,
            oldest_age=None if oldest is None else max(0.0, now - oldest),
            state=self._state,
            retry_at=self._retry_at if self._state is not QueueState.READY else None,
            last_error=self._last_error,
        )

    def retry_in(self) -> float | None:
        """Seconds until there is something to send or check; ``None`` when there is nothing.

        ``None`` also while a batch is being sent, and while waiting for a reauth.
        """
        if self._state is QueueState.REAUTH:
            return None
        if self._in_flight and not self._outcome_unknown:
            return None
        if not self._in_flight and not self._pending:
            return None
        return max(0.0, self._retry_at - self._clock())

    # --- adding ---------------------------------------------------------------------------

    def add(self, scrobble: Scrobble, *, track_id: str, player_id: str | None = None) -> AddResult:
        """Queue a play, unless it is known already or too old for Last.fm (then refused).

        A play that becomes too old while it waits becomes a dead letter instead.
        """
        key = self.key_of(track_id, scrobble.timestamp)
        if key in self._keys:
            return AddResult.DUPLICATE
        now = self._clock()
        entry = QueueEntry(key, scrobble, player_id, now)
        if self._too_old(entry, now):
            return AddResult.TOO_OLD
        self._keys.add(key)
        insort(self._pending, entry, key=_sort_key)
        return AddResult.QUEUED

    def expire(self) -> list[DeadLetter]:
        """Dead-letter the waiting plays that are too old; forget what is old enough."""
        now = self._clock()
        dead = [
            DeadLetter(entry, None, TOO_OLD_MESSAGE, now)
            for entry in self._pending
            if self._too_old(entry, now)
        ]
        if dead:
            self._pending = [entry for entry in self._pending if not self._too_old(entry, now)]
            self._dead.extend(dead)
        self._forget(now)
        return dead

    def _too_old(self, entry: QueueEntry, now: float) -> bool:
        return entry.scrobble.timestamp < now - MAX_AGE

    def _forget(self, now: float) -> None:
        old = {key for key in self._done if key.timestamp < now - KEEP_DONE_KEYS}
        self._done -= old
        kept = [letter for letter in self._dead if letter.at >= now - KEEP_DEAD_LETTERS]
        gone = {letter.entry.key for letter in self._dead}
        gone -= {letter.entry.key for letter in kept}
        self._dead = kept
        self._keys -= old | gone

    # --- sending --------------------------------------------------------------------------

    def next_batch(self) -> list[QueueEntry] | None:
        """Mark the oldest plays (up to 50) in flight and return them, if the account may send.

        Persist the queue before sending them: a batch in flight found at start-up is checked
        against Last.fm before anything else is sent.
        """
        if self._in_flight or not self._pending or self.retry_in() != 0:
            return None
        self._in_flight, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        self._outcome_unknown = False
        return list(self._in_flight)

    def sent(self, results: Sequence[ScrobbleResult]) -> Outcome:
        """Apply Last.fm's answer to the batch in flight, one result per play, in order."""
        if len(results) != len(self._in_flight):
            return self.failed(
                ErrorKind.UNKNOWN_OUTCOME,
                f"{len(results)} results for {len(self._in_flight)} plays",
            )
        now = self._clock()
        outcome = Outcome()
        kept: list[QueueEntry] = []
        limit_message = ""
        for entry, result in zip(self._in_flight, results, strict=True):
            if result.accepted:
                self._accept(entry, now, outcome)
            elif result.ignored_code == IGNORED_DAILY_LIMIT:
                kept.append(entry)
                limit_message = result.ignored_message
            else:
                message = result.ignored_message or f"ignored by Last.fm ({result.ignored_code})"
                outcome.dead_letters.append(DeadLetter(entry, result.ignored_code, message, now))
        self._dead.extend(outcome.dead_letters)
        self._in_flight = []
        for entry in kept:
            insort(self._pending, entry, key=_sort_key)
        if kept:
            message = limit_message or "daily scrobble limit reached"
            self._pause(QueueState.DAILY_LIMIT, DAILY_LIMIT_RETRY, now)
            self._last_error = LastError("daily_limit", IGNORED_DAILY_LIMIT, message, now)
        else:
            self._resume()
        return outcome

    def failed(self, kind: ErrorKind, message: str, code: int | None = None) -> Outcome:
        """Apply a failure of the request that carried the batch in flight."""
        now = self._clock()
        self._last_error = LastError(kind, code, message, now)
        outcome = Outcome()
        if kind is ErrorKind.UNKNOWN_OUTCOME:
            self._outcome_unknown = True
            self._backoff(QueueState.BACKOFF, UNKNOWN_OUTCOME_FIRST, RETRY_MAX, now)
        elif kind is ErrorKind.REFUSED:
            outcome.dead_letters = [
                DeadLetter(entry, code, message, now) for entry in self._in_flight
            ]
            self._dead.extend(outcome.dead_letters)
            self._in_flight = []
            self._resume()
        else:
            self._put_back()
            outcome.reauth_needed = self._fail(kind, now)
        return outcome

    def interrupted(self) -> None:
        """The request of the batch in flight was cut off: check the batch before going on."""
        if self._in_flight:
            self._outcome_unknown = True

    def reconcile_window(self) -> tuple[int, int]:
        """The first and last start times of the batch in flight."""
        times = [entry.scrobble.timestamp for entry in self._in_flight]
        return min(times), max(times)

    def reconciled(self, recorded: Iterable[tuple[str, str, int]]) -> Outcome:
        """Settle a batch of unknown outcome with the plays Last.fm has in its time window.

        Args:
            recorded: (artist, title, start time) of each play Last.fm has in the window.

        A play of the batch is done when Last.fm has a play of the same name (ignoring case)
        that started in the same second. So that a name Last.fm corrected still matches, a
        play is also done when it is the only one of its second left in the batch, Last.fm has
        exactly one other play of that second, and no play of ours done before started then.
        The other plays go back to the queue, to be sent again.
        """
        now = self._clock()
        by_time: dict[int, list[tuple[str, str]]] = {}
        for artist, title, timestamp in recorded:
            by_time.setdefault(timestamp, []).append((artist.casefold(), title.casefold()))
        unmatched: list[QueueEntry] = []
        matched: list[QueueEntry] = []
        for entry in self._in_flight:
            candidates = by_time.get(entry.scrobble.timestamp, [])
            name = (entry.scrobble.track.artist.casefold(), entry.scrobble.track.title.casefold())
            if name in candidates:
                candidates.remove(name)
                matched.append(entry)
            else:
                unmatched.append(entry)
        done_times = {key.timestamp for key in self._done}
        left = Counter(entry.scrobble.timestamp for entry in unmatched)
        for entry in list(unmatched):
            timestamp = entry.scrobble.timestamp
            if (
                left[timestamp] == 1
                and len(by_time.get(timestamp, ())) == 1
                and timestamp not in done_times
            ):
                unmatched.remove(entry)
                matched.append(entry)
        outcome = Outcome()
        for entry in sorted(matched, key=_sort_key):
            self._accept(entry, now, outcome)
        self._in_flight = unmatched
        self._outcome_unknown = False
        self._put_back()
        self._resume()
        return outcome

    def reconcile_failed(self, kind: ErrorKind, message: str, code: int | None = None) -> Outcome:
        """Apply a failure of the check of a batch of unknown outcome."""
        now = self._clock()
        self._last_error = LastError(kind, code, message, now)
        if kind is ErrorKind.REFUSED:
            # Sending again could duplicate, so the plays wait for the user's decision.
            letters = [
                DeadLetter(entry, code, f"{UNCHECKED_MESSAGE}: {message}", now)
                for entry in self._in_flight
            ]
            self._dead.extend(letters)
            self._in_flight = []
            self._outcome_unknown = False
            self._resume()
            return Outcome(dead_letters=letters)
        if kind is ErrorKind.UNKNOWN_OUTCOME:
            kind = ErrorKind.TEMPORARY
        return Outcome(reauth_needed=self._fail(kind, now))

    def reauthenticated(self) -> None:
        """The account has valid credentials again: resume sending."""
        if self._state is QueueState.REAUTH:
            self._resume()

    def retry_dead_letters(self) -> int:
        """Queue every dead letter again (a play too old for Last.fm dies again); return how many."""
        letters, self._dead = self._dead, []
        for letter in letters:
            insort(self._pending, letter.entry, key=_sort_key)
        return len(letters)

    # --- state changes --------------------------------------------------------------------

    def _accept(self, entry: QueueEntry, now: float, outcome: Outcome) -> None:
        self._done.add(entry.key)
        day = self._day_of(now)
        if day != self._day:
            self._day, self._today = day, 0
        self._today += 1
        outcome.accepted.append(entry)

    def _put_back(self) -> None:
        for entry in self._in_flight:
            insort(self._pending, entry, key=_sort_key)
        self._in_flight = []

    def _fail(self, kind: ErrorKind, now: float) -> bool:
        """Pause after a failure that keeps the plays; return whether a reauth is needed."""
        if kind is ErrorKind.AUTH:
            self._state = QueueState.REAUTH
            return True
        if kind is ErrorKind.RATE_LIMITED:
            self._backoff(QueueState.RATE_LIMITED, RATE_LIMIT_FIRST, RATE_LIMIT_MAX, now)
        else:
            self._backoff(QueueState.BACKOFF, RETRY_FIRST, RETRY_MAX, now)
        return False

    def _backoff(self, state: QueueState, first: float, cap: float, now: float) -> None:
        """Wait longer after each failure in a row: half to all of first·2ⁿ, at most ``cap``.

        A rate limit waits at least ``first`` (all of it to half as much again).
        """
        self._attempts += 1
        delay = min(cap, first * 2 ** min(self._attempts - 1, 20))
        if state is QueueState.RATE_LIMITED:
            delay = min(cap, self._rng.uniform(delay, delay * 1.5))
        else:
            delay = self._rng.uniform(delay / 2, delay)
        self._pause(state, delay, now)

    def _pause(self, state: QueueState, delay: float, now: float) -> None:
        self._state = state
        self._retry_at = now + delay

    def _resume(self) -> None:
        self._state = QueueState.READY
        self._retry_at = 0.0
        self._attempts = 0

    def _day_of(self, now: float) -> str:
        return datetime.fromtimestamp(now, self._tz).date().isoformat()

    # --- storage --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The queue as JSON-compatible data (with a version), for storage."""
        return {
            "version": STORAGE_VERSION,
            "account": self.account,
            "pending": [_entry_to_dict(entry) for entry in self._pending],
            "in_flight": [_entry_to_dict(entry) for entry in self._in_flight],
            "dead_letters": [
                {
                    "entry": _entry_to_dict(letter.entry),
                    "code": letter.code,
                    "message": letter.message,
                    "at": letter.at,
                }
                for letter in self._dead
            ],
            "done": sorted([key.track_id, key.timestamp] for key in self._done),
            "state": self._state.value,
            "retry_at": self._retry_at,
            "attempts": self._attempts,
            "last_error": None
            if self._last_error is None
            else {
                "kind": self._last_error.kind,
                "code": self._last_error.code,
                "message": self._last_error.message,
                "at": self._last_error.at,
            },
            "day": self._day,
            "scrobbled_today": self._today,
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        tz: tzinfo = UTC,
    ) -> ScrobbleQueue:
        """Restore a queue stored by :meth:`to_dict`.

        A batch that was in flight may or may not have reached Last.fm: it is checked before
        anything is sent. A wait for a reauth is not restored: the credentials the queue is
        used with now are tried first.

        Raises:
            ValueError: the data is not a stored queue of a known version.
        """
        try:
            return cls._from_dict(data, clock=clock, rng=rng, tz=tz)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            msg = f"not a stored scrobble queue ({type(err).__name__}: {err})"
            raise ValueError(msg) from err

    @classmethod
    def _from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        clock: Callable[[], float],
        rng: random.Random | None,
        tz: tzinfo,
    ) -> ScrobbleQueue:
        if data["version"] != STORAGE_VERSION:
            msg = f"version {data['version']!r} is not {STORAGE_VERSION}"
            raise ValueError(msg)
        queue = cls(str(data["account"]), clock=clock, rng=rng, tz=tz)
        account = queue.account
        queue._pending = sorted(
            (_entry_from_dict(account, item) for item in data["pending"]), key=_sort_key
        )
        queue._in_flight = [_entry_from_dict(account, item) for item in data["in_flight"]]
        queue._outcome_unknown = bool(queue._in_flight)
        queue._dead = [
            DeadLetter(
                _entry_from_dict(account, item["entry"]),
                _optional_int(item["code"]),
                str(item["message"]),
                float(item["at"]),
            )
            for item in data["dead_letters"]
        ]
        queue._done = {PlayKey(account, str(track), int(ts)) for track, ts in data["done"]}
        queue._keys = queue._done | {
            entry.key
            for entry in (*queue._pending, *queue._in_flight, *(d.entry for d in queue._dead))
        }
        state = QueueState(data["state"])
        if state is not QueueState.REAUTH:
            queue._state = state
            queue._retry_at = float(data["retry_at"])
            queue._attempts = int(data["attempts"])
        if (error := data["last_error"]) is not None:
            queue._last_error = LastError(
                str(error["kind"]),
                _optional_int(error["code"]),
                str(error["message"]),
                float(error["at"]),
            )
        queue._day = str(data["day"])
        queue._today = int(data["scrobbled_today"])
        return queue


_TRACK_FIELDS: Final = ("album", "album_artist", "track_number", "duration", "mbid")


def _entry_to_dict(entry: QueueEntry) -> dict[str, Any]:
    track = entry.scrobble.track
    data: dict[str, Any] = {
        "track_id": entry.key.track_id,
        "player_id": entry.player_id,
        "queued_at": entry.queued_at,
        "timestamp": entry.scrobble.timestamp,
        "artist": track.artist,
        "title": track.title,
    }
    data.update(
        {name: value for name in _TRACK_FIELDS if (value := getattr(track, name)) is not None}
    )
    if entry.scrobble.chosen_by_user is not None:
        data["chosen_by_user"] = entry.scrobble.chosen_by_user
    return data


def _entry_from_dict(account: str, data: Mapping[str, Any]) -> QueueEntry:
    track = Track(
        artist=str(data["artist"]),
        title=str(data["title"]),
        album=_optional_str(data.get("album")),
        album_artist=_optional_str(data.get("album_artist")),
        track_number=_optional_int(data.get("track_number")),
        duration=_optional_int(data.get("duration")),
        mbid=_optional_str(data.get("mbid")),
    )
    chosen = data.get("chosen_by_user")
    timestamp = int(data["timestamp"])
    return QueueEntry(
        PlayKey(account, str(data["track_id"]), timestamp),
        Scrobble(track, timestamp, None if chosen is None else bool(chosen)),
        _optional_str(data.get("player_id")),
        float(data["queued_at"]),
    )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        msg = f"{value!r} is not a whole number"
        raise TypeError(msg)
    return int(value)
