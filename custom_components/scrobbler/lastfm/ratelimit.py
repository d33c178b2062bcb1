"""A client-side rate limit that spaces requests on the event loop."""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
import math
import time


class RateLimiter:
    """Let at most ``n`` requests start in any window of ``n / rate`` seconds.

    With ``rate = 5`` that is at most 5 requests in any second: five may go at once, the sixth
    waits until a second has passed since the first. Waiting callers are served in the order
    they asked. Clock and sleep are injectable, for tests.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """Allow ``rate`` requests per second on average."""
        if not rate > 0 or math.isinf(rate):
            msg = "rate must be a positive, finite number of requests per second"
            raise ValueError(msg)
        self._burst = max(1, int(rate))
        self._window = self._burst / rate
        self._clock = clock
        self._sleep = sleep
        self._slots: deque[float] = deque()

    def reserve(self) -> float:
        """Book the next free start time and return how many seconds to wait for it."""
        now = self._clock()
        slot = now
        if len(self._slots) == self._burst:
            slot = max(now, self._slots.popleft() + self._window)
        self._slots.append(slot)
        return slot - now

    async def acquire(self) -> None:
        """Wait until a request may start."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)
