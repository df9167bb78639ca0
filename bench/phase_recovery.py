"""The recovery phase: what killing the worker mid-activity adds to a job."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client

from bench import drivers as d
from bench.phases import (
    HEARTBEAT_TIMEOUT_S,
    Log,
    Scale,
    loadavg,
)
from bench.stack import BenchStack
from bench.stats import median

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
