"""The five measurements. Each phase returns a JSON-ready dict; `log` prints progress."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import httpx
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client

from bench import drivers as d
from bench.stack import BenchStack, CpuMeter, rss_mb
from bench.stats import median, median_of_summaries, summary_ms

Log = Callable[[str], None]
T = TypeVar("T")
HEARTBEAT_TIMEOUT_S = 10.0  # AUTHOR_OPTIONS["heartbeat_timeout"] in workflows/skill_job.py
DEFAULT_WORKER_CACHE = 1000  # SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS default
# Background jobs of the read phase: a UI polling every 0.2 s and a human answering 1 s
# after each prompt appears, so jobs are always in flight without saturating the machine.
BACKGROUND_POLL_S = 0.2
BACKGROUND_THINK_S = 1.0
PARK_JOBS_PER_USER = 90  # under the default SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER (100)
PARK_STALL_S = 180.0  # the parked phase fails if its count does not move for this long


@dataclass(frozen=True)
class Scale:
    name: str
    concurrencies: tuple[int, ...] = (1, 10, 50)
    warmup_jobs: int = 5          # jobs through each path before any measurement
    warmup: float = 5.0           # seconds of each closed-loop run not counted
    windows: int = 5              # consecutive measuring windows (one sample each)
    window: float = 6.0
    window_max: float = 60.0      # windows stretch to one median job latency, up to this
    steady_fraction: float = 1.0  # warm-up until this many jobs x concurrency have finished
    read_background: int = 10     # job drivers keeping jobs running during the read phase
    readers: int = 50
    read_pause: float = 0.1       # think time of a paced reader (the second read run)
    read_warmup: float = 2.0
    read_windows: int = 5
    read_window: float = 4.0
    events_jobs: int = 20         # jobs per client for the events round trip at concurrency 1
    events_concurrency: int = 50  # clients for the events round trip under load
    parked: int = 10_000
    park_concurrency: int = 16    # requests in flight while creating / answering
    park_backlog: int = 300       # created but not yet parked (or answered, not yet completed)
    # SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS for that phase: ~0.25 MB per cached job, and
    # finished jobs stay open (promotion window), so the cache is always full in the end.
    park_worker_cache: int = 500
    list_samples: int = 100
    recovery_jobs: int = 20
    recovery_delay: float = 3.0   # SKILL_FLEET_OFFLINE_DELAY_SECONDS of the recovery worker
    recovery_reps: int = 3


FULL = Scale("full")
# Quick: under 3 minutes on this 2-core machine (`make bench-quick`, and the suite runs it).
# 500 parked jobs fit the default worker cache, so the worker is not restarted for them.
QUICK = Scale("quick", warmup_jobs=2, warmup=1.0, windows=2, window=1.5, window_max=2.5,
              steady_fraction=0.3, read_warmup=1.0, read_windows=2, read_window=1.0,
              events_jobs=3, parked=500, park_concurrency=24, list_samples=30,
              park_worker_cache=DEFAULT_WORKER_CACHE, recovery_delay=2.0, recovery_reps=1)
# Smoke: the suite's check that the harness still runs (one phase, seconds of measuring).
SMOKE = Scale("smoke", warmup_jobs=1, warmup=1.0, windows=2, window=1.5, window_max=2.0,
              steady_fraction=0.2, read_background=3, readers=10, read_warmup=0.3,
              read_windows=2, read_window=0.5, events_jobs=3, events_concurrency=10, parked=50,
              list_samples=20, recovery_jobs=5, recovery_reps=1)
SCALES = {s.name: s for s in (FULL, QUICK, SMOKE)}


def scale_dict(scale: Scale) -> dict[str, Any]:
    return asdict(scale)


def loadavg() -> dict[str, Any]:
    """Load average and Linux CPU pressure (share of time tasks waited for a CPU).

    Other programs on the machine show here: with cpu_psi_some_avg10 well above 10 %, the
    processes under test were queueing for a core and every latency is inflated.
    """
    out: dict[str, Any] = {"loadavg": [round(x, 2) for x in os.getloadavg()]}
    try:
        with open("/proc/pressure/cpu") as f:
            some = f.readline().split()
        fields = dict(x.split("=") for x in some[1:])
        out["cpu_psi_some_avg10"] = float(fields["avg10"])
        out["cpu_psi_some_avg60"] = float(fields["avg60"])
    except (OSError, KeyError, ValueError):
        pass
    return out


# ---------------------------------------------------------------------- warm-up


async def warm_up(pool: d.HttpPool, client: Client, scale: Scale, log: Log) -> None:
    http = pool[0]
    rec = d.HttpJobRecorder()
    for _ in range(scale.warmup_jobs):
        await d.http_job(http, rec, "bench-warmup")
        await d.bare_job(client, rec)
    if rec.prompt_types != {t: scale.warmup_jobs for t in ("confirm", "preview", "validate")}:
        raise d.BenchError(f"unexpected checkpoints in warm-up: {rec.prompt_types}")
    log(f"warm-up: {scale.warmup_jobs} skill-fleet and {scale.warmup_jobs} bare jobs done")


# ---------------------------------------------------------------------- 1 + 2: overhead


async def phase_overhead(stack: BenchStack, pool: d.HttpPool, client: Client,
                         scale: Scale, log: Log,
                         on_measure: Callable[[int, str, float], Any] | None = None,
                         ) -> dict[str, Any]:
    """Closed-loop throughput of skill-fleet jobs over HTTP and of bare jobs over the SDK.

    Human round trips (answer POSTed -> next prompt visible) come from the same runs.
    `on_measure(concurrency, kind, seconds)` is called when measuring starts (profiling).
    """
    out: dict[str, Any] = {"loadavg_before": loadavg()}
    for c in scale.concurrencies:
        row: dict[str, Any] = {}
        for kind in ("skill_fleet", "bare"):
            rec = d.HttpJobRecorder()
            if kind == "skill_fleet":
                def job(i: int, rec: d.HttpJobRecorder = rec, c: int = c) -> Any:
                    return d.http_job(pool[i], rec, f"bench-overhead-{c}-{i}")
            else:
                def job(i: int, rec: d.HttpJobRecorder = rec) -> Any:
                    return d.bare_job(client, rec)
            meter = CpuMeter(stack.pids())

            def hook(seconds: float, kind: str = kind, c: int = c,
                     meter: CpuMeter = meter) -> None:
                meter.start()  # CPU is counted over the measuring windows only
                if on_measure is not None:
                    on_measure(c, kind, seconds)
            res = await d.closed_loop(c, job, warmup=scale.warmup, windows=scale.windows,
                                      window=scale.window, window_max=scale.window_max,
                                      steady_jobs=max(1, round(c * scale.steady_fraction)),
                                      rec=rec, on_measure=hook)
            cpu = meter.stop()
            latencies = rec.completions.between(res["start"], res["end"])
            row[kind] = {
                "jobs_per_s": round(median(res["per_window"]), 3),
                "per_window": [round(x, 3) for x in res["per_window"]],
                "jobs_per_s_overall": round(res["overall"], 3),
                "measured_seconds": round(res["end"] - res["start"], 2),
                "warmup_seconds": round(res["warmup_s"], 2),
                "window_seconds": round(res["window_s"], 2),
                "requests_per_job": {k: round(v / max(1, len(rec.completions.values)), 1)
                                     for k, v in sorted(rec.requests.items())},
                "jobs_measured": len(latencies),
                "job_latency": summary_ms(latencies),
                "round_trip": summary_ms(rec.round_trips.between(res["start"], res["end"])),
                "cpu_cores_used": cpu,
                # CPU milliseconds each process spent per job finished while measuring
                "cpu_ms_per_job": {
                    k: round(v * cpu["wall_seconds"] * 1000 / max(1, len(latencies)))
                    for k, v in cpu.items() if k != "wall_seconds" and v == v and v > 0.005
                },
                "errors": rec.errors,
                "machine_after": loadavg(),
            }
            row[f"{kind}_finished_ids"] = rec.finished[-50:]
            log(f"overhead c={c:<3} {kind:<11} {row[kind]['jobs_per_s']:7.2f} jobs/s "
                f"windows={row[kind]['per_window']} cpu={cpu}")
        bare = row["bare"]["jobs_per_s"]
        row["ratio"] = round(row["skill_fleet"]["jobs_per_s"] / bare, 3) if bare else math.nan
        bare_all = row["bare"]["jobs_per_s_overall"]
        row["ratio_overall"] = (round(row["skill_fleet"]["jobs_per_s_overall"] / bare_all, 3)
                                if bare_all else math.nan)
        out[str(c)] = row
    out["polling_client_c1"] = await _polling_client(stack, pool, scale, log)
    out["history_events_per_job"] = {}
    for kind in ("skill_fleet", "bare"):
        ids = out[str(scale.concurrencies[0])].get(f"{kind}_finished_ids")
        if ids:
            out["history_events_per_job"][kind] = await _history_counts(client, ids[-1])
    out["loadavg_after"] = loadavg()
    return out


async def _polling_client(stack: BenchStack, pool: d.HttpPool, scale: Scale,
                          log: Log) -> dict[str, Any]:
    """One client that answers without `?wait=` and polls for the next prompt every 10 ms."""
    rec = d.HttpJobRecorder()
    meter = CpuMeter(stack.pids())
    res = await d.closed_loop(
        1, lambda i: d.http_job(pool[i], rec, "bench-overhead-poll", wait=0.0),
        warmup=scale.warmup, windows=scale.windows, window=scale.window,
        window_max=scale.window_max, rec=rec, on_measure=lambda _s: meter.start())
    cpu = meter.stop()
    jobs = len(rec.completions.between(res["start"], res["end"]))
    row = {
        "jobs_per_s": round(median(res["per_window"]), 3),
        "jobs_measured": jobs,
        "round_trip": summary_ms(rec.round_trips.between(res["start"], res["end"])),
        "requests_per_job": {k: round(v / max(1, len(rec.completions.values)), 1)
                             for k, v in sorted(rec.requests.items())},
        "cpu_cores_used": cpu,
        "errors": rec.errors,
    }
    log(f"overhead c=1   polling client {row['jobs_per_s']:.2f} jobs/s round trip "
        f"{row['round_trip']}")
    return row


async def _history_counts(client: Client, workflow_id: str) -> dict[str, int]:
    """Events in one finished job's history, by type (what the server had to persist)."""
    counts: dict[str, int] = {}
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
        counts[name] = counts.get(name, 0) + 1
    return {"total": sum(counts.values()), **dict(sorted(counts.items()))}


# ---------------------------------------------------------------------- 2b: events stream


async def events_available(http: httpx.AsyncClient, job_id: str) -> tuple[bool, str]:
    """Is GET /jobs/{id}/events served? A missing route is a 404 without a job message."""
    try:
        async with asyncio.timeout(5):
            async with http.stream("GET", f"{d.API}/jobs/{job_id}/events") as r:
                ctype = r.headers.get("content-type", "")
                if r.status_code == 200:
                    return True, ctype
                body = (await r.aread()).decode(errors="replace")[:200]
                return False, f"HTTP {r.status_code}: {body}"
    except TimeoutError:
        return False, "no response headers in 5 s"
    except httpx.HTTPError as err:
        return False, f"{type(err).__name__}: {err}"


def _prompt_from_event(event_name: str | None, data: Any) -> int | None:
    """The prompt id if this event says a prompt was raised (tolerant of the event shape)."""
    if not isinstance(data, dict):
        return None
    kind = data.get("kind") or data.get("type") or event_name
    if kind != "prompt_raised" and event_name != "prompt_raised":
        return None
    inner = data.get("data") if isinstance(data.get("data"), dict) else data
    pid = inner.get("prompt_id")
    return int(pid) if pid is not None else None


async def _sse_prompts(http: httpx.AsyncClient, job_id: str, queue: asyncio.Queue[int],
                       ready: asyncio.Event) -> None:
    import json

    async with http.stream("GET", f"{d.API}/jobs/{job_id}/events",
                           timeout=httpx.Timeout(120.0)) as r:
        ready.set()
        event_name: str | None = None
        data_lines: list[str] = []
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                event_name = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].strip())
            elif not line.strip():
                if data_lines:
                    try:
                        data = json.loads("\n".join(data_lines))
                    except ValueError:
                        data = None
                    items = data if isinstance(data, list) else [data]
                    if isinstance(data, dict) and isinstance(data.get("events"), list):
                        items = data["events"]
                    for item in items:
                        pid = _prompt_from_event(event_name, item)
                        if pid is not None:
                            queue.put_nowait(pid)
                event_name, data_lines = None, []


async def _events_job(http: httpx.AsyncClient, samples: list[float], user: str) -> None:
    job_id = await d.create_job(http, user, enable_hitl_confirm=True,
                                enable_hitl_preview=True, enable_hitl_review=True)
    queue: asyncio.Queue[int] = asyncio.Queue()
    ready = asyncio.Event()
    reader = asyncio.create_task(_sse_prompts(http, job_id, queue, ready))
    try:
        async with asyncio.timeout(120):
            await ready.wait()
            current = 0
            while current < 1:
                current = await queue.get()
            for _ in range(2):
                sent = time.monotonic()
                await d.answer(http, job_id, current)
                nxt = current
                while nxt <= current:
                    nxt = await queue.get()
                samples.append(time.monotonic() - sent)
                current = nxt
            await d.answer(http, job_id, current)
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader


async def _idle_streams(stack: BenchStack, pool: d.HttpPool, scale: Scale,
                        log: Log) -> dict[str, Any]:
    """CPU while N streams follow N jobs waiting for a human, against the same jobs unwatched.

    People leave a job's stream open while they think; what that costs the stack is the
    difference between the two windows, per stream.
    """
    n, seconds = scale.events_concurrency, scale.read_windows * scale.read_window
    jobs = await asyncio.gather(*(d.create_job(pool[i], f"bench-idle-{i}",
                                               enable_hitl_confirm=True) for i in range(n)))
    prompts = await asyncio.gather(*(d.wait_prompt(pool[i], job, 0)
                                     for i, job in enumerate(jobs)))
    await asyncio.sleep(1.0)  # the last visibility writes of the parking
    meter = CpuMeter(stack.pids()).start()
    await asyncio.sleep(seconds)
    unwatched = meter.stop()

    queues: list[asyncio.Queue[int]] = [asyncio.Queue() for _ in jobs]
    ready = [asyncio.Event() for _ in jobs]
    readers = [asyncio.create_task(_sse_prompts(pool[i], job, queues[i], ready[i]))
               for i, job in enumerate(jobs)]
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(q.get() for q in queues))  # each has replayed its prompt
        await asyncio.sleep(1.0)
        meter = CpuMeter(stack.pids()).start()
        await asyncio.sleep(seconds)
        watched = meter.stop()
        if any(r.done() for r in readers):
            raise d.BenchError("an idle stream ended while its job waited")
    finally:
        for r in readers:
            r.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(d.answer(pool[i], job, prompt["prompt_id"])
                           for i, (job, prompt) in enumerate(zip(jobs, prompts, strict=True))))
    per_stream = {k: round((watched[k] - unwatched[k]) / n * 1000, 3)
                  for k in watched if k != "wall_seconds"}
    out = {"streams": n, "seconds": seconds, "cpu_cores_unwatched": unwatched,
           "cpu_cores_watched": watched, "cpu_ms_per_s_per_stream": per_stream}
    log(f"idle streams: {n} streams on waiting jobs cost, per stream, CPU ms per second: "
        f"{per_stream}")
    return out


async def phase_events(stack: BenchStack, pool: d.HttpPool, scale: Scale, probe_job: str,
                       log: Log) -> dict[str, Any]:
    ok, detail = await events_available(pool[0], probe_job)
    if not ok:
        log(f"events stream: not available ({detail})")
        return {"available": False, "detail": detail}
    if "event-stream" not in detail:
        log(f"events stream: answers {detail}, not text/event-stream; not measured")
        return {"available": False, "detail": f"content-type {detail}"}
    out: dict[str, Any] = {"available": True}
    try:
        for c, jobs_each in ((1, scale.events_jobs), (scale.events_concurrency, 1)):
            samples: list[float] = []
            for _ in range(jobs_each):
                await asyncio.gather(*(_events_job(pool[i], samples, f"bench-events-{i}")
                                       for i in range(c)))
            out[str(c)] = summary_ms(samples)
            log(f"events round trip c={c}: {out[str(c)]}")
        out["idle_streams"] = await _idle_streams(stack, pool, scale, log)
    except (TimeoutError, d.BenchError, httpx.HTTPError) as err:
        out = {"available": False, "detail": f"endpoint exists but measuring failed: "
                                              f"{type(err).__name__}: {err}"}
        log(f"events stream: {out['detail']}")
    return out


# ---------------------------------------------------------------------- 3: reads


READ_RUNS = {
    # label: (request kinds each reader cycles through, pause between its requests)
    "get_saturating": (("job_running", "job_finished"), 0.0),
    "get_paced": (("job_running", "job_finished"), None),  # None: Scale.read_pause
    # 50 people (or dashboards) each refreshing a job once a second
    "get_every_second": (("job_running", "job_finished"), 1.0),
    "mixed_saturating": (("job_running", "job_finished", "list_pending_hitl"), 0.0),
}


async def _read_run(pool: d.HttpPool, scale: Scale, rec: d.HttpJobRecorder,
                    finished: list[str], kinds: tuple[str, ...], pause: float
                    ) -> dict[str, Any]:
    samples = {k: d.Samples() for k in kinds}
    errors: dict[str, int] = {}
    stop = asyncio.Event()

    async def reader(i: int) -> None:
        for n in itertools.count(i):
            if stop.is_set():
                return
            kind = kinds[n % len(kinds)]
            if kind == "job_running":
                running = list(rec.in_flight)
                if not running:
                    await asyncio.sleep(0.01)
                    continue
                url = f"{d.API}/jobs/{random.choice(running)}"
            elif kind == "job_finished":
                url = f"{d.API}/jobs/{random.choice(finished)}"
            else:
                url = f"{d.API}/jobs?status=pending_hitl"
            t = time.monotonic()
            r = await pool[i].get(url)
            samples[kind].add(t, time.monotonic() - t)
            if r.status_code != 200:
                errors[f"{kind}_{r.status_code}"] = errors.get(f"{kind}_{r.status_code}", 0) + 1
            if pause:
                await asyncio.sleep(pause)

    t0 = time.monotonic()
    tasks = [asyncio.create_task(reader(i)) for i in range(scale.readers)]
    try:
        await asyncio.sleep(scale.read_warmup + scale.read_windows * scale.read_window)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    start = t0 + scale.read_warmup
    out: dict[str, Any] = {}
    total = 0
    for kind in kinds:
        parts = [summary_ms(samples[kind].between(start + i * scale.read_window,
                                                  start + (i + 1) * scale.read_window))
                 for i in range(scale.read_windows)]
        out[kind] = median_of_summaries(parts)
        total += out[kind].get("n", 0)
    out["requests_per_s"] = round(total / (scale.read_windows * scale.read_window), 1)
    out["errors"] = errors
    return out


async def phase_reads(stack: BenchStack, pool: d.HttpPool, scale: Scale,
                      finished: list[str], log: Log,
                      on_measure: Callable[[str, float], Any] | None = None) -> dict[str, Any]:
    """50 readers while `read_background` clients keep jobs moving through checkpoints.

    Three runs: GET /jobs/{id} only with no think time (50 requests always in flight), the
    same with a pause between a reader's requests, and a mix with GET /jobs?status=pending_hitl.
    """
    rec = d.HttpJobRecorder()
    stop = asyncio.Event()

    async def driver(i: int) -> None:
        while not stop.is_set():
            try:
                await d.http_job(pool[scale.readers + i], rec, f"bench-reads-{i}",
                                 poll=BACKGROUND_POLL_S,
                                 think=BACKGROUND_THINK_S)
            except (d.BenchError, httpx.HTTPError) as err:
                rec.error(f"{type(err).__name__}: {str(err)[:60]}")

    out: dict[str, Any] = {"loadavg_before": loadavg(), "background_clients":
                           scale.read_background, "background_poll_s": BACKGROUND_POLL_S,
                           "background_think_s": BACKGROUND_THINK_S,
                           "readers": scale.readers}
    drivers = [asyncio.create_task(driver(i)) for i in range(scale.read_background)]
    try:
        async with asyncio.timeout(60):
            await d.until(lambda: len(rec.in_flight) >= max(1, scale.read_background // 2))
        for label, (kinds, pause) in READ_RUNS.items():
            pause = scale.read_pause if pause is None else pause
            meter = CpuMeter(stack.pids()).start()
            if on_measure is not None and label == "get_saturating":
                on_measure(f"reads-{label}", scale.read_warmup
                           + scale.read_windows * scale.read_window)
            out[label] = await _read_run(pool, scale, rec, finished, kinds, pause)
            out[label]["pause_s"] = pause
            out[label]["cpu_cores_used"] = meter.stop()
            log(f"reads {label:<10} {out[label]['requests_per_s']} req/s  "
                + "  ".join(f"{k}: p50 {v['p50_ms']} p99 {v['p99_ms']} ms"
                            for k, v in out[label].items() if isinstance(v, dict)
                            and "p50_ms" in v))
    finally:
        stop.set()
        for t in drivers:
            t.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)
    out["background_jobs_completed"] = len(rec.finished)
    out["background_errors"] = rec.errors
    out["loadavg_after"] = loadavg()
    return out


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

            report = asyncio.create_task(progress("parked", "parked"))
            t0 = time.monotonic()
            pending: set[asyncio.Task[None]] = set()
            started_tasks: list[asyncio.Task[None]] = []
            for i in range(n):
                await d.until(lambda: len(ids) - counts["parked"] < scale.park_backlog)
                task = asyncio.create_task(create_one(i))
                started_tasks.append(task)
                pending.add(task)
                task.add_done_callback(pending.discard)
                await d.until(lambda: len(pending) < scale.park_concurrency * 2, 0.005)
            await asyncio.gather(*started_tasks)  # every task: a failure is not lost
            create_s = time.monotonic() - t0
            await reach("parked")
            park_s = time.monotonic() - t0
            report.cancel()
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
            report = asyncio.create_task(progress("completed", "completed"))

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

            t1 = time.monotonic()
            pending = set()
            started_tasks = []
            for i, job_id in enumerate(ids):
                await d.until(lambda: answered - counts["completed"] < scale.park_backlog)
                task = asyncio.create_task(answer_one(i, job_id))
                started_tasks.append(task)
                pending.add(task)
                task.add_done_callback(pending.discard)
                await d.until(lambda: len(pending) < scale.park_concurrency * 2, 0.005)
            await asyncio.gather(*started_tasks)
            answer_s = time.monotonic() - t1
            await reach("completed")
            done_s = time.monotonic() - t1
            report.cancel()
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


# ---------------------------------------------------------------------- 5: recovery


async def _all_started(client: Client, ids: list[str]) -> bool:
    started = PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
    for job_id in ids:
        desc = await client.get_workflow_handle(job_id).describe()
        acts = desc.raw_description.pending_activities
        if not acts or any(a.state != started for a in acts):
            return False
    return True


async def _run_batch(stack: BenchStack, pool: d.HttpPool, client: Client,
                     scale: Scale, *, kill: bool, env: dict[str, str]) -> dict[str, Any]:
    t0 = time.monotonic()
    ids = await asyncio.gather(*(d.create_job(pool[i], "bench-recovery")
                                 for i in range(scale.recovery_jobs)))
    row: dict[str, Any] = {}
    if kill:
        async with asyncio.timeout(60):
            while True:
                if await _all_started(client, list(ids)):
                    break
                await asyncio.sleep(0.05)
        t_kill = time.monotonic()
        stack.stop_worker(kill=True)
        row["killed_after_s"] = round(t_kill - t0, 2)
        stack.start_worker(**env)
        row["new_worker_ready_s"] = round(time.monotonic() - t_kill, 2)
    results = await asyncio.gather(*(d.wait_status(pool[i], j, {"completed"}, within=240,
                                                   poll=0.05) for i, j in enumerate(ids)))
    row["seconds"] = round(time.monotonic() - t0, 2)
    if kill:
        row["after_kill_s"] = round(time.monotonic() - t_kill, 2)
    row["completed"] = sum(1 for r in results if r["status"] == "completed")
    return row


async def phase_recovery(stack: BenchStack, pool: d.HttpPool, client: Client,
                         scale: Scale, log: Log) -> dict[str, Any]:
    env = {"SKILL_FLEET_OFFLINE_DELAY_SECONDS": str(scale.recovery_delay)}
    stack.stop_worker()
    stack.start_worker(**env)
    out: dict[str, Any] = {"jobs": scale.recovery_jobs, "offline_delay_s": scale.recovery_delay,
                           "heartbeat_timeout_s": HEARTBEAT_TIMEOUT_S,
                           "loadavg_before": loadavg(), "baseline": [], "killed": []}
    for rep in range(scale.recovery_reps):
        base = await _run_batch(stack, pool, client, scale, kill=False, env=env)
        out["baseline"].append(base)
        killed = await _run_batch(stack, pool, client, scale, kill=True, env=env)
        out["killed"].append(killed)
        log(f"recovery rep {rep + 1}: without kill {base['seconds']} s, with SIGKILL "
            f"{killed['seconds']} s (killed at {killed['killed_after_s']} s, new worker ready "
            f"in {killed['new_worker_ready_s']} s)")
    b = median([r["seconds"] for r in out["baseline"]])
    k = median([r["seconds"] for r in out["killed"]])
    out["baseline_median_s"] = round(b, 2)
    out["killed_median_s"] = round(k, 2)
    out["added_s"] = round(k - b, 2)
    out["budget_s"] = HEARTBEAT_TIMEOUT_S + 5
    out["within_budget"] = k - b <= HEARTBEAT_TIMEOUT_S + 5
    out["all_completed"] = all(r["completed"] == scale.recovery_jobs
                               for r in out["baseline"] + out["killed"])
    out["loadavg_after"] = loadavg()
    return out
