"""The impatient HTTP client: a pool over the API instances that retries through their
restarts with the same Idempotency-Key, and counts what it saw."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

# ------------------------------------------------------------------ the client


@dataclass
class Stats:
    requests: int = 0
    transport_errors: int = 0
    retried_503: int = 0
    server_errors: list[str] = field(default_factory=list)  # 5xx other than 503
    answers_sent: int = 0  # HTTP attempts
    answers_applied: int = 0  # prompts the client answered (200, or 409 after ambiguity)
    duplicates_acked: int = 0
    cancels_sent: int = 0
    creates_retried: int = 0
    creates_replayed: int = 0  # a create sent again after its reply: the same job came back
    answers_409_after_retry: int = 0
    replays_sent: int = 0  # the same answer again: must be a no-op
    replays_acked: int = 0  # ... answered 200 with the original outcome (else 409: finished)
    stale_sent: int = 0  # a new answer to an answered prompt: must be refused


class GaveUp(Exception):
    pass


class ApiPool:
    """Picks an API instance at random per request; retries transport errors and 503."""

    def __init__(self, urls: list[str], rng: random.Random, stats: Stats, timeout: float) -> None:
        self.clients = [
            httpx.AsyncClient(base_url=u, timeout=httpx.Timeout(timeout, connect=2.0)) for u in urls
        ]
        self.rng = rng
        self.stats = stats

    async def close(self) -> None:
        for c in self.clients:
            await c.aclose()

    async def request(
        self, method: str, path: str, *, within: float = 120.0, **kwargs: Any
    ) -> tuple[httpx.Response, bool]:
        """(response, ambiguous): ambiguous if an earlier attempt may have taken effect."""
        deadline = time.monotonic() + within
        ambiguous = False
        delay = 0.2
        last = ""
        while time.monotonic() < deadline:
            client = self.rng.choice(self.clients)
            self.stats.requests += 1
            try:
                r = await client.request(method, path, **kwargs)
            except httpx.TransportError as err:
                self.stats.transport_errors += 1
                # A refused connection sent nothing; anything else may have.
                ambiguous = ambiguous or not isinstance(err, httpx.ConnectError)
                last = repr(err)
            else:
                if r.status_code == 503:
                    self.stats.retried_503 += 1
                    ambiguous = True
                    last = f"503 {r.text[:200]}"
                elif r.status_code >= 500:
                    self.stats.server_errors.append(
                        f"{method} {path} -> {r.status_code} {r.text[:300]}"
                    )
                    ambiguous = True
                    last = f"{r.status_code} {r.text[:200]}"
                else:
                    return r, ambiguous
            await asyncio.sleep(delay * self.rng.uniform(0.5, 1.5))
            delay = min(delay * 1.6, 1.5)
        raise GaveUp(f"{method} {path}: no answer within {within:.0f}s; last: {last}")
