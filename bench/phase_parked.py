"""The parked phase: thousands of jobs waiting for a human, then all answered."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from temporalio.client import Client

from bench import drivers as d
from bench.phases import (
    DEFAULT_WORKER_CACHE,
    PARK_JOBS_PER_USER,
    PARK_STALL_S,
    Log,
    Scale,
    T,
    loadavg,
)
from bench.stack import BenchStack, rss_mb
from bench.stats import summary_ms

# ---------------------------------------------------------------------- 4: parked jobs


async def _count(client: Client, users: list[str], status: str) -> int:
    names = ", ".join(f"'{u}'" for u in users)
    query = (f"WorkflowType = 'SkillJob' AND SkillJobUser IN ({names}) "
             f"AND SkillJobStatus = '{status}'")
    return (await client.count_workflows(query)).count


async def _retrying(call: Callable[[], Awaitable[T]], what: str, errors: dict[str, int],
                    attempts: int = 5) -> T:
    """Retry a request that failed in transport or with a retryable status; count failures.

    An answer carries a fresh response_id per attempt, but the server refuses a second answer
    to the same prompt, so a retry after a lost response cannot answer twice.
    """
    for attempt in range(attempts):
        try:
            return await call()
        except (httpx.HTTPError, d.BenchError) as err:
            key = f"{what}: {type(err).__name__}: {str(err).split(':')[0][:60]}"
            errors[key] = errors.get(key, 0) + 1
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError


async def _start_all(count: int, start: Callable[[int], Coroutine[Any, Any, None]],
                     backlog: Callable[[], int], scale: Scale) -> None:
    """Run `start(0..count-1)` as tasks, each begun once `backlog()` is under the phase's
    bound and fewer than twice its concurrency are in flight; wait for every task (a failure
    is not lost)."""
    pending: set[asyncio.Task[None]] = set()
    started_tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        await d.until(lambda: backlog() < scale.park_backlog)
        task = asyncio.create_task(start(i))
        started_tasks.append(task)
        pending.add(task)
        task.add_done_callback(pending.discard)
        await d.until(lambda: len(pending) < scale.park_concurrency * 2, 0.005)
    await asyncio.gather(*started_tasks)


class RssSampler:
    def __init__(self, stack: BenchStack, every: float = 1.0) -> None:
        self.stack = stack
        self.every = every
        self.peak: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> dict[str, float]:
        now = {k: round(rss_mb(p), 1) for k, p in self.stack.pids().items()}
        for k, v in now.items():
            if not math.isnan(v):
                self.peak[k] = max(self.peak.get(k, 0.0), v)
        return now

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)

    def __enter__(self) -> RssSampler:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()


async def phase_parked(stack: BenchStack, pool: d.HttpPool, client: Client,
                       scale: Scale, log: Log, deadline_s: float | None = None
                       ) -> dict[str, Any]:
    """Park N jobs at `confirm`, measure memory and list latency, answer all, see them finish."""
    n = scale.parked
    # Parked jobs belong to many users, each under the default cap of 100 active jobs
    # (SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER), as they would in real use.
    users = [f"bench-park-{i}" for i in range(math.ceil(n / PARK_JOBS_PER_USER))]
    if scale.park_worker_cache != DEFAULT_WORKER_CACHE:
        stack.stop_worker()
        stack.start_worker(
            SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS=str(scale.park_worker_cache))
    out: dict[str, Any] = {
        "jobs": n, "loadavg_before": loadavg(),
        "worker_settings": {"SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS": scale.park_worker_cache,
                            "SKILL_FLEET_WORKER_MAX_CONCURRENT_ACTIVITIES": 100},
        "create_concurrency": scale.park_concurrency, "max_backlog": scale.park_backlog,
        "users": len(users),
    }
    counts = {"parked": 0, "completed": 0}
    ids: list[str] = []
    errors: dict[str, int] = {}

    async def counter() -> None:
        while True:
            with contextlib.suppress(Exception):
                counts["parked"] = await _count(client, users, "pending_hitl")
                counts["completed"] = await _count(client, users, "completed")
            await asyncio.sleep(0.5)

    async def progress(what: str, key: str) -> None:
        while True:
            await asyncio.sleep(15)
            log(f"parked: {what} {counts[key]}/{n}  rss={sampler.sample()}")

    async def reach(key: str) -> None:
        """Wait until all n jobs are counted as `key`; give up on a stall or the deadline."""
        last, since = -1, time.monotonic()
        while counts[key] < n:
            await asyncio.sleep(0.2)
            if counts[key] != last:
                last, since = counts[key], time.monotonic()
            if time.monotonic() - since > PARK_STALL_S:
                raise TimeoutError(f"{key} stuck at {counts[key]}/{n} for {PARK_STALL_S:.0f} s")
            if deadline_s and time.monotonic() - started > deadline_s:
                raise TimeoutError(f"only {counts[key]}/{n} {key} in time")

    async def run_all(count: int, start: Callable[[int], Coroutine[Any, Any, None]],
                      backlog: Callable[[], int], key: str) -> tuple[float, float]:
        """Run every `start(i)` (`_start_all`), then wait until all n jobs are `key`,
        logging progress: (seconds until all ran, seconds until all were `key`)."""
        report = asyncio.create_task(progress(key, key))
        try:
            t0 = time.monotonic()
            await _start_all(count, start, backlog, scale)
            ran_s = time.monotonic() - t0
            await reach(key)
            return ran_s, time.monotonic() - t0
        finally:
            report.cancel()

    sampler = RssSampler(stack)
    out["rss_mb_before"] = sampler.sample()
    count_task = asyncio.create_task(counter())
    started = time.monotonic()
    try:
        with sampler:
            # create, keeping at most `park_backlog` jobs created but not yet parked
            sem = asyncio.Semaphore(scale.park_concurrency)

            async def create_one(i: int) -> None:
                async with sem:
                    ids.append(await _retrying(
                        lambda: d.create_job(pool[i], users[i % len(users)],
                                             enable_hitl_confirm=True), "create", errors))

            create_s, park_s = await run_all(n, create_one, lambda: len(ids) - counts["parked"],
                                             "parked")
            out["create_seconds"] = round(create_s, 1)
            out["park_seconds"] = round(park_s, 1)
            out["park_rate_per_s"] = round(n / park_s, 1)
            log(f"parked: {n} jobs waiting at confirm after {park_s:.1f} s")

            await asyncio.sleep(2)  # let the processes settle before reading memory
            out["rss_mb_parked"] = sampler.sample()
            list_times: list[float] = []
            for _ in range(scale.list_samples):
                t = time.monotonic()
                r = await pool[0].get(f"{d.API}/jobs?status=pending_hitl")
                list_times.append(time.monotonic() - t)
                if r.status_code != 200 or len(r.json()["jobs"]) == 0:
                    errors[f"list_{r.status_code}"] = errors.get(f"list_{r.status_code}", 0) + 1
            out["list_pending_hitl"] = summary_ms(list_times)
            log(f"parked: rss {out['rss_mb_parked']} MB; GET /jobs?status=pending_hitl "
                f"{out['list_pending_hitl']}")

            # answer every job: read its prompt, answer it (backlog bounded again)
            answered = 0

            async def answer_one(i: int, job_id: str) -> None:
                nonlocal answered

                async def read_and_answer() -> None:
                    r = await pool[i].get(f"{d.API}/hitl/{job_id}/prompt")
                    if r.status_code == 200 and r.json().get("prompt") is None and (
                            r.json().get("status") in ("running", *d.TERMINAL)):
                        return  # answered by an earlier attempt whose response was lost
                    prompt = await d.wait_prompt(pool[i], job_id, 0, poll=0.2)
                    await d.answer(pool[i], job_id, prompt["prompt_id"])

                async with sem:
                    await _retrying(read_and_answer, "answer", errors)
                    answered += 1

            answer_s, done_s = await run_all(len(ids), lambda i: answer_one(i, ids[i]),
                                             lambda: answered - counts["completed"],
                                             "completed")
            out["answer_seconds"] = round(answer_s, 1)
            out["answer_to_all_completed_seconds"] = round(done_s, 1)
            out["complete_rate_per_s"] = round(n / done_s, 1)
            out["completed"] = await _count(client, users, "completed")
            out["still_parked"] = await _count(client, users, "pending_hitl")
            out["all_completed"] = out["completed"] == n and out["still_parked"] == 0
            out["rss_mb_after"] = sampler.sample()
            out["rss_mb_peak"] = dict(sampler.peak)
            log(f"parked: all {n} answered and completed {done_s:.1f} s after the first "
                f"answer; peak rss {sampler.peak}")
    finally:
        count_task.cancel()
    out["errors"] = errors
    out["total_seconds"] = round(time.monotonic() - started, 1)
    out["loadavg_after"] = loadavg()
    return out
