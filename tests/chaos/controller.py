"""The chaos harness: a fault controller, an impatient HTTP client, and the final audit.

`run_chaos` starts a private stack (Temporal dev server, 2 workers, 2 API instances on
fixed ports), drives N jobs concurrently through every checkpoint over HTTP while a
controller thread SIGKILLs and restarts workers, API instances and once the Temporal
server itself, then audits every job: status, draft on disk, event log, answers applied.

Every loop is bounded in time and count; the randomness comes from one seed, printed.
Its parts: config.py (the plan), faults.py (the controller), client.py (the API pool),
jobs.py (one scripted job), audit.py (the checks); the run and its report are here.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from devstack.processes import free_port
from tests.chaos.audit import audit_job, count_jobs, fetch_states
from tests.chaos.client import ApiPool, Stats
from tests.chaos.config import ChaosConfig
from tests.chaos.faults import FaultController
from tests.chaos.jobs import drive_job, plan_jobs
from tests.support import LocalStack

# ------------------------------------------------------------------ the run


@dataclass
class ChaosReport:
    seed: int
    jobs: int
    completed: int
    cancelled: int
    cancelled_by_script: int
    other: int
    prompts_seen: int
    answers_applied: int
    answers_sent: int
    duplicates_acked: int
    events_audited: int
    faults: dict[str, int]
    stats: Stats
    violations: list[str]
    workflows: int
    seconds: float
    slowest_job_seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "jobs": self.jobs,
            "completed": self.completed,
            "cancelled": self.cancelled,
            "cancelled_by_script": self.cancelled_by_script,
            "other": self.other,
            "prompts_seen": self.prompts_seen,
            "answers_applied": self.answers_applied,
            "answer_requests": self.answers_sent,
            "duplicates_acked": self.duplicates_acked,
            "events_audited": self.events_audited,
            "faults": self.faults,
            "http_requests": self.stats.requests,
            "transport_errors": self.stats.transport_errors,
            "retried_503": self.stats.retried_503,
            "server_errors_5xx": len(self.stats.server_errors),
            "creates_retried": self.stats.creates_retried,
            "answers_409_after_retry": self.stats.answers_409_after_retry,
            "replays_sent": self.stats.replays_sent,
            "replays_acked": self.stats.replays_acked,
            "stale_refused": self.stats.stale_sent,
            "creates_replayed": self.stats.creates_replayed,
            "workflows": self.workflows,
            "violations": len(self.violations),
            "seconds": round(self.seconds, 1),
            "slowest_job_seconds": round(self.slowest_job_seconds, 1),
        }


def run_chaos(stack: LocalStack, cfg: ChaosConfig) -> ChaosReport:
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"chaos: {msg}", flush=True)

    log(
        f"seed={cfg.seed} jobs={cfg.jobs} worker_kills<={cfg.worker_kills} "
        f"api_kills<={cfg.api_kills} server_restarts<={cfg.server_restarts}"
    )
    rng = random.Random(cfg.seed)
    worker_env = {"SKILL_FLEET_OFFLINE_DELAY_SECONDS": str(cfg.offline_delay)}
    stack.start_server()
    api_ports = [free_port(), free_port()]
    urls = stack.start_workers_and_apis(2, api_ports, worker_env=worker_env)
    workers = list(stack.workers[-2:])
    apis = list(stack.apis[-2:])
    log(f"stack up in {time.monotonic() - t0:.1f}s")

    records = plan_jobs(cfg, rng)
    stats = Stats()
    controller = FaultController(
        stack, cfg, random.Random(rng.random()), workers, apis, api_ports, worker_env, log
    )

    async def drive() -> None:
        pool = ApiPool(urls, random.Random(rng.random()), stats, cfg.request_timeout)
        try:
            job_rngs = [random.Random(rng.random()) for _ in records]
            await asyncio.gather(
                *(
                    drive_job(rec, pool, cfg, job_rng, stats)
                    for rec, job_rng in zip(records, job_rngs, strict=True)
                )
            )
        finally:
            await pool.close()

    run_started = time.monotonic()
    controller.start()
    try:
        asyncio.run(drive())
    finally:
        controller.stop_event.set()
        controller.join(timeout=120)
    log(
        f"jobs done in {time.monotonic() - run_started:.1f}s; faults: "
        f"{[(f.kind, f.target, round(f.at, 1)) for f in controller.faults]}"
    )
    if controller.error:
        raise RuntimeError(f"fault controller failed: {controller.error!r}")

    job_ids = [r.job_id for r in records if r.job_id]
    states = asyncio.run(fetch_states(stack.address, job_ids))
    violations: list[str] = []
    for rec in records:
        violations += audit_job(rec, states.get(rec.job_id), stack.skills_root)
    # Retried creates (same Idempotency-Key) made no second job.
    workflows = asyncio.run(count_jobs(stack.address, "chaos", cfg.jobs))
    if workflows != cfg.jobs:
        violations.append(f"{workflows} workflows exist for user chaos, expected {cfg.jobs}")
    if len(set(job_ids)) != cfg.jobs:
        violations.append(f"{len(set(job_ids))} distinct job ids for {cfg.jobs} jobs")
    statuses = Counter(s.status.value for s, _ in states.values())
    report = ChaosReport(
        seed=cfg.seed,
        jobs=cfg.jobs,
        completed=statuses["completed"],
        cancelled=statuses["cancelled"],
        cancelled_by_script=sum(r.cancelled_by_script for r in records),
        other=cfg.jobs - statuses["completed"] - statuses["cancelled"],
        prompts_seen=sum(len(r.prompts_seen) for r in records),
        answers_applied=stats.answers_applied,
        answers_sent=stats.answers_sent,
        duplicates_acked=stats.duplicates_acked,
        events_audited=sum(len(s.events) for s, _ in states.values()),
        faults=dict(Counter(f.kind for f in controller.faults)),
        stats=stats,
        violations=violations,
        workflows=workflows,
        seconds=time.monotonic() - t0,
        slowest_job_seconds=max((r.seconds for r in records), default=0.0),
    )
    log("summary " + json.dumps(report.summary()))
    for v in violations:
        log(f"VIOLATION {v}")
    for e in stats.server_errors[:20]:
        log(f"5xx {e}")
    return report
