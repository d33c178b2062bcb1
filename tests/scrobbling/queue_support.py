"""Helpers of the queue and sender tests (they need no Home Assistant)."""

import asyncio
from dataclasses import dataclass
import json
from typing import Any

import pytest

from custom_components.scrobbler.lastfm import Scrobble, ScrobbleResult, Track

START = 1_800_000_000.0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the integration-wide fixture: the scrobbling package runs without HA."""


@dataclass
class Clock:
    """A clock that moves only when told."""

    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Sleep without waiting: the clock jumps."""
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def play(number: int, timestamp: int, *, artist: str = "Artist") -> Scrobble:
    """A play of track ``number``."""
    return Scrobble(Track(artist, f"Title {number}", album="Album", duration=200), timestamp)


def accepted(count: int) -> list[ScrobbleResult]:
    return [ScrobbleResult(accepted=True, ignored_code=0, ignored_message="")] * count


def ignored(code: int, message: str = "") -> ScrobbleResult:
    return ScrobbleResult(accepted=False, ignored_code=code, ignored_message=message)


def json_round_trip(data: dict[str, Any]) -> Any:
    """What a JSON store gives back."""
    return json.loads(json.dumps(data))


class HardStop(BaseException):
    """The process dies here: nothing after this point runs (not an ``Exception``)."""


@dataclass
class Killer:
    """Kills the sender at the ``countdown``-th point it passes (a save, a request)."""

    countdown: int | None = None
    # Once dead, the process does nothing more until it is started again.
    dead: bool = False

    def point(self) -> None:
        if self.dead:
            raise HardStop
        if self.countdown is None:
            return
        self.countdown -= 1
        if self.countdown <= 0:
            self.countdown = None
            self.dead = True
            raise HardStop


@dataclass
class MemoryStorage:
    """A store that keeps what a JSON file would, and counts its writes."""

    data: Any = None
    saves: int = 0
    killer: Killer | None = None
    fail: bool = False

    async def load(self) -> dict[str, Any] | None:
        return None if self.data is None else json_round_trip(self.data)

    async def save(self, data: dict[str, Any]) -> None:
        if self.killer is not None:
            self.killer.point()  # killed before the write
        if self.fail:
            msg = "disk full"
            raise OSError(msg)
        self.data = json_round_trip(data)
        self.saves += 1
        await asyncio.sleep(0)
        if self.killer is not None:
            self.killer.point()  # killed after the write
