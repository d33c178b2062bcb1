"""Helpers of the queue and sender tests (they need no Home Assistant)."""

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
