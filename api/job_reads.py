"""One `describe` per job at a time in an API process, a count of them, and a bound on the
visibility lists in flight.

Fifty readers of one job (`GET /jobs/{id}` from the page, the CLI, a dashboard) that
arrive while a describe of it is in flight await that describe instead of sending their
own: one in-flight call per job id, awaited by everyone who asked meanwhile. Nothing is
kept after the call returns (no cache: the next reader sees the job as it is then).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from prometheus_client import Counter

from api.errors import ApiError

T = TypeVar("T")

# Describe RPCs this process sent to Temporal (shared ones counted once). The answer path
# sends none when the job exists and the caller may answer (issue 27).
DESCRIBES = Counter(
    "skill_fleet_temporal_describes",
    "Describe calls this API process sent to Temporal (concurrent reads of a job share one).",
)


class SingleFlight(Generic[T]):
    """Concurrent calls with the same key share the first one's in-flight result."""

    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Future[T]] = {}

    def in_flight(self) -> int:
        return len(self._calls)

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """The result of `call()`, or of the call already running for `key`.

        A caller that goes away (its client disconnected) does not cancel the shared call:
        the others still get its result.
        """
        shared = self._calls.get(key)
        if shared is None:
            shared = asyncio.ensure_future(call())
            self._calls[key] = shared
            shared.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(shared)

    def _forget(self, key: str, done: asyncio.Future[T]) -> None:
        if self._calls.get(key) is done:
            del self._calls[key]
        if not done.cancelled():
            done.exception()  # retrieved: no "never retrieved" warning if every caller left


class ListSlots:
    """At most `size` visibility lists (job lists, the inbox) in flight per API process.

    A list makes the server read and send every listed job's memo; many at once share its
    CPU until each runs into the RPC deadline and none returns (under 25 clients listing
    without pause, every list timed out at 5 s: docs/performance.md). Taking turns, each list
    gets the server to itself for its short time. A request that finds no slot within
    `wait_seconds` gets a 503 at once instead of adding to the pile. 0: no bound.
    """

    def __init__(self, size: int, wait_seconds: float) -> None:
        self._slots = asyncio.Semaphore(size) if size else None
        self._wait = wait_seconds

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        if self._slots is None:
            yield
            return
        try:
            async with asyncio.timeout(self._wait):
                await self._slots.acquire()
        except TimeoutError:
            raise ApiError(503, "Too many job lists are being read at once; retry shortly.",
                           headers={"Retry-After": "1"}, reason="ListsBusy") from None
        try:
            yield
        finally:
            self._slots.release()
