"""The API's namespace check: at start when Temporal answers, else at first contact.

The API starts while Temporal is down (its client connects lazily; /health says 503), so
the check of `common.namespace_check` cannot always run in the lifespan. When it can and
the namespace is misconfigured, the API refuses to start. Otherwise the guard runs it before
the first request that needs Temporal and, once it passes, never again. While the namespace
is misconfigured, every such request is a 503 that says so and the check repeats at most
every RECHECK_SECONDS (SKILL_FLEET_NAMESPACE_RECHECK_SECONDS), so an operator's
`skill-fleet setup` heals a running API.
"""

from __future__ import annotations

import asyncio
import logging
import math

from temporalio.client import Client

from api.errors import ApiError
from common.namespace_check import NamespaceMisconfigured, TemporalUnreachable, ensure_namespace
from common.settings import Settings

RECHECK_SECONDS = 5.0
log = logging.getLogger("skill_fleet.api")

Problem = NamespaceMisconfigured | TemporalUnreachable


class NamespaceGuard:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._lock = asyncio.Lock()
        self.ready = False
        self._problem: Problem | None = None
        self._checked_at = -math.inf
        self._checks = 0  # completed checks: a waiter reuses one that ended while it waited
        self._background: asyncio.Task[Problem | None] | None = None

    async def startup(self) -> None:
        """Check now; raise `NamespaceMisconfigured` (refuse to start) unless Temporal is down."""
        try:
            await self._check()
        except TemporalUnreachable as err:
            self._problem = err
            log.warning("%s; the namespace's search attributes are checked at first contact",
                        err)

    async def problem(self) -> Problem | None:
        """None once the namespace is known good; else why not (checking again when due)."""
        if self.ready:
            return None
        seen = self._checks
        async with self._lock:
            if self.ready or self._checks != seen:
                return self._problem
            loop = asyncio.get_running_loop()
            every = self._settings.namespace_recheck_seconds or RECHECK_SECONDS
            recent = loop.time() - self._checked_at < every
            if isinstance(self._problem, NamespaceMisconfigured) and recent:
                return self._problem
            before = self._problem
            try:
                await self._check()
            except (NamespaceMisconfigured, TemporalUnreachable) as err:
                self._problem = err
                if isinstance(err, NamespaceMisconfigured) and not isinstance(
                        before, NamespaceMisconfigured):
                    log.error("Temporal-bound requests answer 503 until this is fixed: %s", err)
            self._checked_at = loop.time()
            self._checks += 1
            return self._problem

    async def require_ready(self) -> None:
        """Raise a 503 while the namespace is known to be misconfigured.

        While Temporal does not answer, the check runs in the background and the request
        goes on to the gateway, which answers it as before (404 for a malformed id, its own
        503 for a call that needs Temporal): no request waits out two timeouts.
        """
        if self.ready:
            return
        if not isinstance(self._problem, NamespaceMisconfigured):
            if self._background is None or self._background.done():
                self._background = asyncio.create_task(self.problem())
            return
        problem = await self.problem()  # checks again when due: `setup` heals the API
        if isinstance(problem, NamespaceMisconfigured):
            raise ApiError(503, f"Temporal {problem.summary}. An operator must fix the "
                                "namespace (`skill-fleet setup`; the exact command is in the "
                                "API log).")

    async def _check(self) -> None:
        added = await ensure_namespace(self._client, self._settings)
        if added:
            log.info("registered search attributes %s in namespace %s", ", ".join(added),
                     self._settings.temporal_namespace)
        self.ready, self._problem = True, None
