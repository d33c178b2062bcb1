"""The sender of one Last.fm account: a background task that empties its queue into Last.fm.

Free of Home Assistant: storage, client, clock, sleep and random source are injected (in HA: a
``Store``, the account's ``LastfmClient``, ``time.time`` and ``asyncio.sleep``).

Crash safety: a play is saved as soon as it is added; a batch is saved marked "in flight"
before its request goes out; every answer is saved once applied. Saves never overlap and
always write the newest state. A batch found in flight at start (HA stopped or was killed
during the request) is checked with ``user.getRecentTracks`` before anything is sent, so that
no play is lost or sent twice.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, tzinfo
import logging
import random
import time
from typing import Any, Final, Protocol

from custom_components.scrobbler.lastfm.client import MAX_RECENT_TRACKS
from custom_components.scrobbler.lastfm.errors import (
    LastfmAuthError,
    LastfmError,
    LastfmMalformedResponseError,
    LastfmOutcomeUnknownError,
    LastfmRateLimitError,
    LastfmTemporaryError,
)
from custom_components.scrobbler.lastfm.models import RecentTrack, Scrobble, ScrobbleResult

from .queue import (
    RETRY_FIRST,
    AddResult,
    DeadLetter,
    ErrorKind,
    Outcome,
    QueueCounts,
    QueueEntry,
    ScrobbleQueue,
)

_LOGGER = logging.getLogger(__name__)

# Last.fm's "from" and "to" may leave out plays of their own second: ask one second more.
_WINDOW_MARGIN: Final = 1


class ScrobbleStorage(Protocol):
    """Where a queue is kept (HA: a ``Store``); a save must be written when it returns."""

    async def load(self) -> dict[str, Any] | None:
        """The data saved last, or ``None`` when nothing was saved."""
        ...

    async def save(self, data: dict[str, Any]) -> None:
        """Write the data now (not delayed)."""
        ...


class ScrobbleClient(Protocol):
    """The calls the sender makes; :class:`~..lastfm.LastfmClient` has them."""

    async def scrobble(self, scrobbles: Sequence[Scrobble]) -> list[ScrobbleResult]:
        """Scrobble a batch of 1 to 50 plays."""
        ...

    async def get_recent_tracks(
        self,
        user: str,
        *,
        limit: int = 1,
        from_: datetime | None = None,
        to: datetime | None = None,
    ) -> list[RecentTrack]:
        """The user's plays in a time window, newest first."""
        ...


def classify(err: Exception) -> tuple[ErrorKind, int | None]:
    """What a failure of ``track.scrobble`` means for its batch, and its Last.fm code.

    An answer that is not Last.fm's, or a failure the client did not expect, leaves the
    outcome unknown: the batch is checked before it is sent again.
    """
    code = err.code if isinstance(err, LastfmError) else None
    kind: ErrorKind
    if isinstance(err, LastfmOutcomeUnknownError | LastfmMalformedResponseError):
        kind = ErrorKind.UNKNOWN_OUTCOME
    elif isinstance(err, LastfmRateLimitError):
        kind = ErrorKind.RATE_LIMITED
    elif isinstance(err, LastfmTemporaryError):
        kind = ErrorKind.TEMPORARY
    elif isinstance(err, LastfmAuthError):
        kind = ErrorKind.AUTH
    elif isinstance(err, LastfmError):
        kind = ErrorKind.REFUSED
    else:
        kind = ErrorKind.UNKNOWN_OUTCOME
    return kind, code


def _failure(err: Exception, method: str) -> tuple[ErrorKind, str, int | None]:
    """The kind, message and code of a failed call; a failure not of the client's is logged."""
    kind, code = classify(err)
    if isinstance(err, LastfmError):
        return kind, str(err), code
    _LOGGER.error("Unexpected failure of %s", method, exc_info=err)
    return kind, f"{method}: unexpected {type(err).__name__}", code


class ScrobbleSender:
    """Owns the queue of one account and sends it, oldest first, in batches of up to 50."""

    def __init__(  # noqa: PLR0913
        self,
        account: str,
        user: str,
        client: ScrobbleClient,
        storage: ScrobbleStorage,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        tz: tzinfo = UTC,
        on_accepted: Callable[[QueueEntry], object] | None = None,
        on_reauth_needed: Callable[[], object] | None = None,
        on_dead_letter: Callable[[DeadLetter], object] | None = None,
    ) -> None:
        """Create the sender; :meth:`start` loads the queue and starts sending.

        Args:
            account: the account's identifier (part of each play's key).
            user: the Last.fm user name, for ``user.getRecentTracks``.
            client: the account's client (with its session key).
            storage: where the queue is kept.
            clock: the time now (UNIX seconds).
            sleep: waits a number of seconds.
            rng: the random source of the retry jitter.
            tz: the time zone whose day "scrobbled today" counts.
            on_accepted: called with each play Last.fm accepted (for events and counters).
            on_reauth_needed: called when Last.fm refused the credentials; sending resumes
                after :meth:`reauthenticated`.
            on_dead_letter: called with each play that becomes a dead letter.
        """
        self.account = account
        self.user = user
        self.client = client
        self._storage = storage
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._tz = tz
        self._on_accepted = on_accepted
        self._on_reauth_needed = on_reauth_needed
        self._on_dead_letter = on_dead_letter
        self._queue = ScrobbleQueue(account, clock=clock, rng=rng, tz=tz)
        self._task: asyncio.Task[None] | None = None
        self._loaded = False
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._save_lock = asyncio.Lock()

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Load the saved queue (the first time) and start sending.

        Raises:
            ValueError: the saved data is not a queue this version can read.
        """
        if self._task is not None:
            return
        if not self._loaded:
            data = await self._storage.load()
            if data is not None:
                self._queue = ScrobbleQueue.from_dict(
                    data, clock=self._clock, rng=self._rng, tz=self._tz
                )
            self._loaded = True
        self._task = asyncio.create_task(self._run(), name=f"scrobble sender {self.account}")

    async def stop(self) -> None:
        """Stop sending and save the queue (a batch cut off in flight is checked at start)."""
        if self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if (current := asyncio.current_task()) is not None and current.cancelling():
                raise
        finally:
            self._queue.interrupted()
        await self._save()

    # --- the integration's calls ----------------------------------------------------------

    @property
    def queue(self) -> ScrobbleQueue:
        """The queue (read it; change it only through the sender)."""
        return self._queue

    def counts(self) -> QueueCounts:
        """Pending, in flight, dead letters, scrobbled today, oldest age, last error."""
        return self._queue.counts()

    async def add(
        self, scrobble: Scrobble, *, track_id: str, player_id: str | None = None
    ) -> AddResult:
        """Queue a play and save the queue at once; sending follows when the account can.

        Raises:
            RuntimeError: the saved queue is not loaded yet (:meth:`start` first).
        """
        if not self._loaded:
            msg = "the sender is not started"
            raise RuntimeError(msg)
        result = self._queue.add(scrobble, track_id=track_id, player_id=player_id)
        if result is AddResult.TOO_OLD:
            _LOGGER.warning(
                "Not scrobbling %s - %s to %s: it started more than 14 days ago",
                scrobble.track.artist,
                scrobble.track.title,
                self.user,
            )
        if result is not AddResult.QUEUED:
            return result
        await self._save()
        self._poke()
        return result

    def reauthenticated(self) -> None:
        """The account has valid credentials again (the client has them): resume sending."""
        self._queue.reauthenticated()
        self._poke()

    async def retry_dead_letters(self) -> int:
        """Queue the dead letters again; return how many."""
        count = self._queue.retry_dead_letters()
        if count:
            await self._save()
            self._poke()
        return count

    async def wait_idle(self) -> None:
        """Wait until nothing can be sent: the queue is empty, or waits for a reauth."""
        await self._idle.wait()

    # --- the task -------------------------------------------------------------------------

    def _poke(self) -> None:
        """Something changed: let the task look again."""
        self._idle.clear()
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except Exception:
                # A bug must not stop scrobbling for good: log it, wait, go on.
                _LOGGER.exception("Unexpected error while scrobbling to %s", self.user)
                await self._sleep(RETRY_FIRST)

    async def _step(self) -> None:
        """Do the next thing: check a batch of unknown outcome, send a batch, or wait."""
        self._wake.clear()
        queue = self._queue
        if expired := queue.expire():
            await self._save()
            self._report(Outcome(dead_letters=expired))
        delay = queue.retry_in()
        if delay != 0:
            await self._wait(delay)
            return
        if queue.needs_reconcile:
            await self._reconcile()
            return
        batch = queue.next_batch()
        if batch is None:  # pragma: no cover - retry_in() said there is one
            return
        if not await self._save():
            self._report(queue.failed(ErrorKind.TEMPORARY, "the queue could not be saved"))
            return
        try:
            results = await self.client.scrobble([entry.scrobble for entry in batch])
        except Exception as err:  # noqa: BLE001 - every failure is an outcome
            outcome = queue.failed(*_failure(err, "track.scrobble"))
        else:
            outcome = queue.sent(results)
        await self._save()
        self._report(outcome)

    async def _reconcile(self) -> None:
        """Ask Last.fm which plays of the batch in flight it has; send the others again."""
        first, last = self._queue.reconcile_window()
        try:
            tracks = await self.client.get_recent_tracks(
                self.user,
                limit=MAX_RECENT_TRACKS,
                from_=datetime.fromtimestamp(first - _WINDOW_MARGIN, UTC),
                to=datetime.fromtimestamp(last + _WINDOW_MARGIN, UTC),
            )
        except Exception as err:  # noqa: BLE001 - every failure is an outcome
            outcome = self._queue.reconcile_failed(*_failure(err, "user.getRecentTracks"))
        else:
            recorded = [
                (track.artist, track.title, int(track.played_at.timestamp()))
                for track in tracks
                if track.played_at is not None and not track.now_playing
            ]
            outcome = self._queue.reconciled(recorded)
        await self._save()
        self._report(outcome)

    async def _wait(self, delay: float | None) -> None:
        """Wait ``delay`` seconds (for ever if ``None``) or until woken by a change."""
        if delay is None:
            self._idle.set()
        try:
            waits: list[asyncio.Future[object]] = [asyncio.ensure_future(self._wake.wait())]
            if delay is not None:
                waits.append(asyncio.ensure_future(self._sleep(delay)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
        finally:
            self._idle.clear()

    async def _save(self) -> bool:
        """Write the newest state of the queue; return whether it was written."""
        async with self._save_lock:
            data = self._queue.to_dict()
            try:
                await self._storage.save(data)
            except Exception:
                _LOGGER.exception("Could not save the scrobble queue of %s", self.user)
                return False
        return True

    def _report(self, outcome: Outcome) -> None:
        """Tell the integration what an answer did; a failing callback is only logged."""
        for entry in outcome.accepted:
            self._call(self._on_accepted, entry)
        for letter in outcome.dead_letters:
            _LOGGER.warning(
                "Not scrobbling %s - %s to %s: %s",
                letter.entry.scrobble.track.artist,
                letter.entry.scrobble.track.title,
                self.user,
                letter.message,
            )
            self._call(self._on_dead_letter, letter)
        if outcome.reauth_needed:
            _LOGGER.warning("Last.fm refused the credentials of %s: scrobbling waits", self.user)
            self._call(self._on_reauth_needed)

    def _call(self, callback: Callable[..., object] | None, *args: object) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception("Error in a scrobbling callback of %s", self.user)
