"""Per-user limits that hold under bursts: active jobs, create rate, open streams, answer waits.

Every refusal is a 429 with a message that names the setting; the create rate adds a
`Retry-After` header (the moment a token is back). The limits live in the API process:

- **Active jobs** (`SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER`). Temporal's visibility store, which
  counts a user's unfinished jobs, is eventually consistent: a job started a moment ago may
  not be counted yet, so N parallel creates would all see the same count and all pass. So
  the creates of one user run one at a time (a lock per user), and the jobs this process
  started are remembered until visibility lists them (or `RECENT_START_SECONDS` pass) and
  counted on top. Within one process the cap is exact; each further API process holds its
  own memory, so P processes admit at most (P-1) x (what the others started within the
  visibility lag) beyond it.
- **Create rate** (`SKILL_FLEET_CREATE_RATE_PER_MINUTE`, `SKILL_FLEET_CREATE_BURST`): a token
  bucket per user, charged only for a job really started (an idempotent retry is free).
- **Open event streams** and **replies held with `?wait=`** (answers, creates): slots per
  caller, taken before the work starts and given back when it ends, however it ends.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from api.auth import Caller
from api.errors import ApiError
from common.settings import Settings

Clock = Callable[[], float]
# How long a started job counts on top of visibility while visibility does not list it yet.
# Visibility lags by milliseconds (SQL) to about a second (Elasticsearch); this is slack.
RECENT_START_SECONDS = 60.0
# Rate buckets of users not seen for a while are dropped once there are this many.
SWEEP_ABOVE = 10_000
OPEN_MODE_KEY = "(open mode)"


class LimitExceeded(ApiError):
    """A 429, with the moment a token is back as Retry-After."""

    def __init__(self, error: str, retry_after: float | None = None) -> None:
        super().__init__(429, error, headers=(
            {} if retry_after is None else {"Retry-After": str(max(1, math.ceil(retry_after)))}))


class ActiveJobCounter(Protocol):
    """What the active-job cap needs of the gateway."""

    async def active_jobs(self, user_id: str) -> int: ...

    async def listed(self, job_ids: Sequence[str]) -> set[str]: ...


def caller_key(caller: Caller) -> str:
    """Whose slots a request uses: the key's user (admins included); open mode is one user."""
    return caller.user_id or OPEN_MODE_KEY


class CreateRate:
    """A token bucket per user: `burst` creates at once, then `per_minute` a minute."""

    def __init__(self, per_minute: float, burst: int | None, clock: Clock) -> None:
        self.per_minute = per_minute
        self.capacity = float(burst or max(1, math.ceil(per_minute)))
        self._per_second = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, at)

    def _tokens(self, user: str) -> float:
        tokens, at = self._buckets.get(user, (self.capacity, self._clock()))
        return min(self.capacity, tokens + (self._clock() - at) * self._per_second)

    def check(self, user: str) -> None:
        """Refuse (429 with Retry-After) when the user has no token left; takes none."""
        if not self.per_minute:
            return
        tokens = self._tokens(user)
        if tokens < 1:
            wait = (1 - tokens) / self._per_second
            raise LimitExceeded(
                f"{user!r} created too many jobs: at most {self.per_minute:g} a minute "
                f"(bursts of {self.capacity:g}; SKILL_FLEET_CREATE_RATE_PER_MINUTE). "
                f"Retry in {math.ceil(wait)} s.",
                retry_after=wait,
            )

    def take(self, user: str) -> None:
        if not self.per_minute:
            return
        self._buckets[user] = (self._tokens(user) - 1, self._clock())
        if len(self._buckets) > SWEEP_ABOVE:  # full buckets hold nothing worth keeping
            for name in [u for u in self._buckets if self._tokens(u) >= self.capacity]:
                del self._buckets[name]


class ActiveJobs:
    """The active-job cap, exact within this process (see the module docstring)."""

    def __init__(self, cap: int, clock: Clock, remember_for: float = RECENT_START_SECONDS) -> None:
        self.cap = cap
        self._clock = clock
        self._remember_for = remember_for
        self._recent: dict[str, dict[str, float]] = {}  # user -> {job_id: started at}
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # user -> (lock, holders)

    @asynccontextmanager
    async def serialized(self, user: str) -> AsyncIterator[None]:
        """One create of `user` at a time; the lock is dropped when nobody holds or waits."""
        lock, holders = self._locks.get(user, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[user] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[user]
            if holders == 1:
                del self._locks[user]
            else:
                self._locks[user] = (lock, holders - 1)

    async def check(self, gateway: ActiveJobCounter, user: str) -> None:
        """Refuse when visibility's count plus the starts it does not list yet reach the cap.

        Which starts visibility lists is asked before counting: a job that appears in
        between is then counted twice (a refusal too early), never missed.
        """
        if not self.cap:
            return
        recent = self._recent.get(user, {})
        now = self._clock()
        for job_id in [j for j, at in recent.items() if now - at > self._remember_for]:
            del recent[job_id]
        if recent:
            for job_id in await gateway.listed(sorted(recent)):
                recent.pop(job_id, None)
        if not recent:
            self._recent.pop(user, None)
        active = await gateway.active_jobs(user) + len(recent)
        if active >= self.cap:
            raise LimitExceeded(
                f"{user!r} already has {self.cap} active jobs "
                "(SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER); finish or cancel some."
            )

    def started(self, user: str, job_id: str) -> None:
        if self.cap:
            self._recent.setdefault(user, {})[job_id] = self._clock()


class Admission:
    """One create under its user's lock: `check` before starting, `started` after."""

    def __init__(self, limits: UserLimits, user: str) -> None:
        self._limits = limits
        self._user = user
        self._checked = False

    async def check(self, gateway: ActiveJobCounter) -> None:
        self._limits.rate.check(self._user)
        await self._limits.active.check(gateway, self._user)
        self._checked = True

    def started(self, job_id: str) -> None:
        """The job was started (a no-op when `check` was skipped: the job already existed)."""
        if self._checked:
            self._limits.rate.take(self._user)
            self._limits.active.started(self._user, job_id)


class Slot:
    """A held slot of a `Slots`; `release` is idempotent."""

    def __init__(self, slots: Slots, user: str) -> None:
        self._slots = slots
        self._user = user
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots._release(self._user)


class Slots:
    """At most `cap` concurrent holders per user (0: no cap)."""

    def __init__(self, cap: int, what: str, setting: str) -> None:
        self.cap = cap
        self._what = what
        self._setting = setting
        self._held: dict[str, int] = {}

    def in_use(self, user: str) -> int:
        return self._held.get(user, 0)

    def acquire(self, user: str) -> Slot:
        held = self._held.get(user, 0)
        if self.cap and held >= self.cap:
            raise LimitExceeded(
                f"{user!r} already has {self.cap} {self._what} ({self._setting}); "
                "close one and retry."
            )
        self._held[user] = held + 1
        return Slot(self, user)

    def _release(self, user: str) -> None:
        left = self._held[user] - 1
        if left:
            self._held[user] = left
        else:
            del self._held[user]

    @contextmanager
    def hold(self, user: str) -> Iterator[Slot]:
        slot = self.acquire(user)
        try:
            yield slot
        finally:
            slot.release()


class UserLimits:
    """Every per-user limit of one API process, from settings read once."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic) -> None:
        self.rate = CreateRate(settings.create_rate_per_minute, settings.create_burst, clock)
        self.active = ActiveJobs(settings.max_active_jobs_per_user, clock)
        self.streams = Slots(
            settings.max_event_streams_per_user,
            "open event streams",
            "SKILL_FLEET_MAX_EVENT_STREAMS_PER_USER",
        )
        self.waits = Slots(
            settings.max_waits_per_user,
            "replies held with ?wait (answers or creates)",
            "SKILL_FLEET_MAX_WAITS_PER_USER",
        )

    @asynccontextmanager
    async def create(self, user: str, *, may_exist: bool = False) -> AsyncIterator[Admission]:
        """Admit one create of `user`. A user out of tokens is refused before queueing,
        unless the request may name a job that exists already (an idempotent retry)."""
        if not may_exist:
            self.rate.check(user)
        async with self.active.serialized(user):
            yield Admission(self, user)


class HeldEventSourceResponse(EventSourceResponse):
    """An event stream that gives its slot back when it ends: done, failed or disconnected."""

    def __init__(self, *args: Any, slot: Slot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slot.release()


async def get_limits(request: Request) -> UserLimits:
    """The app's limits, built from its settings on first use (tests may set their own)."""
    state = request.app.state
    limits: UserLimits | None = getattr(state, "limits", None)
    if limits is None:
        limits = state.limits = UserLimits(state.settings)
    return limits


LimitsDep = Annotated[UserLimits, Depends(get_limits)]
