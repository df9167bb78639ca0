"""One `describe` per job at a time in an API process, and a count of them.

Fifty readers of one job (`GET /jobs/{id}` from the page, the CLI, a dashboard) that
arrive while a describe of it is in flight await that describe instead of sending their
own: one in-flight call per job id, awaited by everyone who asked meanwhile. Nothing is
kept after the call returns (no cache: the next reader sees the job as it is then).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from prometheus_client import Counter

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
