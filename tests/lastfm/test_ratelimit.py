"""The client-side rate limit, on an injected clock: no sleeping, no timing."""

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.scrobbler.lastfm import LastfmClient, RateLimiter
from tests.fakes.lastfm_server import API_KEY, API_SECRET, FakeLastfm


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_five_per_second(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    time = FakeTime()
    limiter = RateLimiter(5, clock=time.clock, sleep=time.sleep)
    client = LastfmClient(
        http, API_KEY, API_SECRET, api_root=lastfm_server.api_root, rate_limiter=limiter
    )
    starts = []
    for _ in range(12):
        await client.get_token()
        starts.append(time.now - 1000)
    assert starts == pytest.approx([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
    assert len(lastfm_server.requests_of("auth.getToken")) == 12


async def test_default_limit_is_five_per_second(http: aiohttp.ClientSession) -> None:
    client = LastfmClient(http, API_KEY, API_SECRET)
    limiter = client._limiter
    assert (limiter._burst, limiter._window) == (5, 1.0)


def test_slots_free_up_as_time_passes() -> None:
    time = FakeTime()
    limiter = RateLimiter(2, clock=time.clock, sleep=time.sleep)
    assert [limiter.reserve() for _ in range(3)] == [0, 0, 1]
    time.now += 10
    assert [limiter.reserve() for _ in range(2)] == [0, 0]


def test_fractional_rate() -> None:
    time = FakeTime()
    limiter = RateLimiter(0.5, clock=time.clock, sleep=time.sleep)
    assert [limiter.reserve() for _ in range(3)] == [0, 2, 4]


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_bad_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate)


@given(
    st.floats(min_value=0.1, max_value=20),
    st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=40),
)
def test_never_more_than_the_rate_in_a_window(rate: float, gaps: list[float]) -> None:
    """Whatever the arrivals, at most ``burst`` requests start in any window, in order."""
    time = FakeTime()
    limiter = RateLimiter(rate, clock=time.clock, sleep=time.sleep)
    burst = max(1, int(rate))
    window = burst / rate
    starts = []
    for gap in gaps:
        time.now += gap
        starts.append(time.now + limiter.reserve())
    assert starts == sorted(starts)
    for i in range(len(starts) - burst):
        assert starts[i + burst] - starts[i] >= window - 1e-9
