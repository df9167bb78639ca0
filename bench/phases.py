"""Scales, warm-up, and the overhead and reads phases; the other phases live in `phase_*.py`.

Each phase returns a JSON-ready dict; `log` prints progress.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench import drivers as d
from bench.cost import history_cost
from bench.stack import BenchStack, CpuMeter
from bench.stats import median, median_of_summaries, summary_ms

Log = Callable[[str], None]
T = TypeVar("T")
HEARTBEAT_TIMEOUT_S = 10.0  # AUTHOR_OPTIONS["heartbeat_timeout"] in workflows/activity_options.py
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
    out["history_cost_per_job"] = {}  # events, bytes, Temporal Cloud actions (bench/cost.py)
    for kind in ("skill_fleet", "bare"):
        ids = out[str(scale.concurrencies[0])].get(f"{kind}_finished_ids")
        if ids:
            out["history_events_per_job"][kind] = await _history_counts(client, ids[-1])
            history = await client.get_workflow_handle(ids[-1]).fetch_history()
            out["history_cost_per_job"][kind] = history_cost(history.events)
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
        # Paced readers are not in lockstep (people refresh at their own moments): spread
        # their first requests over one pause. In lockstep, a short run's windows could
        # fall between two rounds and measure nothing of a kind (seen in the smoke).
        await asyncio.sleep(pause * i / scale.readers)
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
