"""Failed sign-ins on the reviewer page, counted per client address in a sliding minute.

The sign-in form takes an API key, so it is the one place where someone can guess keys
at the speed of HTTP. Past SKILL_FLEET_UI_SIGNIN_ATTEMPTS_PER_MINUTE failures from one
address within the last minute, every further attempt (a good key too) is refused with
a 429 until the oldest failure is a minute old; a successful sign-in forgets the
address's failures. The count lives in the API process (each process counts its own),
keyed by the address the server sees: behind a proxy that is the proxy's.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
# Addresses remembered at most; past it the longest-quiet one is forgotten, so a flood of
# addresses cannot grow the memory without bound.
MAX_ADDRESSES = 10_000


class SignInLimiter:
    """A sliding window of failure times per client address."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic,
                 window_seconds: float = WINDOW_SECONDS) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.window = window_seconds
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        cutoff = self.clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def retry_after(self, address: str) -> float | None:
        """Seconds until this address may try again; None if it may now."""
        if self.per_minute <= 0:
            return None
        times = self._recent(address)
        if times is None or len(times) < self.per_minute:
            return None
        return max(0.0, times[0] + self.window - self.clock())

    def failed(self, address: str) -> None:
        if self.per_minute <= 0:
            return
        times = self._recent(address) or deque()
        times.append(self.clock())
        self._failures[address] = times
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
