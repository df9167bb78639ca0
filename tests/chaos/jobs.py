"""One scripted job: the plan of the run's jobs, and the answers each one gives at its
prompts."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from tests.chaos.client import ApiPool, GaveUp, Stats
from tests.chaos.config import (
    NAMED_TASKS,
    OUTPUTS,
    PLAIN_TASKS,
    SUBJECTS,
    TERMINAL,
    VAGUE_TASK,
    ChaosConfig,
)
from tests.support import API

# ------------------------------------------------------------------ one scripted job


@dataclass
class JobRecord:
    index: int
    kind: str  # vague | named | plain
    task: str
    key: str
    cancel_at: int | None  # cancel at the n-th prompt seen (0-based)
    cancel_mode: str  # endpoint | answer
    job_id: str = ""
    prompts_seen: list[tuple[int, str]] = field(default_factory=list)
    # prompt_id -> (response_id, action) the client got acknowledged
    answered: dict[int, tuple[str, str]] = field(default_factory=dict)
    revises_applied: int = 0
    last_preview: str | None = None
    cancelled_by_script: bool = False
    final_view: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def plan_jobs(cfg: ChaosConfig, rng: random.Random) -> list[JobRecord]:
    kinds = ["vague", "named", "plain"]
    cancels = set(rng.sample(range(cfg.jobs), k=round(cfg.jobs * cfg.cancel_fraction)))
    records = []
    for i in range(cfg.jobs):
        kind = kinds[i % 3]
        task = {
            "vague": VAGUE_TASK,
            "named": rng.choice(NAMED_TASKS),
            "plain": rng.choice(PLAIN_TASKS),
        }[kind]
        # prompts: [clarify|structure_fix], confirm (revised), confirm, preview, validate
        expected = 5 if kind != "plain" else 4
        records.append(
            JobRecord(
                index=i,
                kind=kind,
                task=task,
                key=f"chaos-{cfg.seed}-{i}",
                cancel_at=rng.randrange(expected) if i in cancels else None,
                cancel_mode=rng.choice(["endpoint", "answer"]),
            )
        )
    return records


def answer_body(rec: JobRecord, prompt: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    ptype = prompt["type"]
    if ptype == "clarify":
        answers: dict[str, Any] = {}
        for q in prompt["data"]["questions"]:
            if q["question_type"] == "boolean":
                answers[q["id"]] = rng.choice([True, False])
            elif q["question_type"] == "text" or not q.get("options"):
                answers[q["id"]] = rng.choice(SUBJECTS)
            else:
                ids = [o["id"] for o in q["options"]]
                pick = rng.choice([i for i in OUTPUTS if i in ids] or ids)
                answers[q["id"]] = [pick] if q["question_type"] == "multi" else pick
        return {"action": "proceed", "answers": answers}
    if ptype == "structure_fix":
        return {"action": "proceed", "accept_suggestions": True}
    if ptype == "confirm" and rec.revises_applied == 0 and "revise" in prompt["actions"]:
        return {
            "action": "revise",
            "feedback": f"Job {rec.index}: cover the edge cases of the inputs too.",
        }
    return {"action": "proceed"}


async def drive_job(
    rec: JobRecord,
    pool: ApiPool,
    cfg: ChaosConfig,
    rng: random.Random,
    stats: Stats,
) -> None:
    started = time.monotonic()
    deadline = started + cfg.create_spread + cfg.job_timeout
    body = {
        "task_description": rec.task,
        "user_id": "chaos",
        "enable_hitl_confirm": True,
        "enable_hitl_preview": True,
        "enable_hitl_review": True,
    }
    try:
        await asyncio.sleep(rng.uniform(0, cfg.create_spread))
        rec.job_id = await _create(rec, pool, body, stats)
        handled: set[int] = set()
        while True:
            if time.monotonic() > deadline:
                rec.errors.append(
                    f"not terminal after {cfg.job_timeout:.0f}s; prompts seen {rec.prompts_seen}"
                )
                return
            r, _ = await pool.request("GET", f"{API}/jobs/{rec.job_id}")
            if r.status_code != 200:
                rec.errors.append(f"GET job -> {r.status_code} {r.text[:200]}")
                await asyncio.sleep(1)
                continue
            view = r.json()
            if view["status"] in TERMINAL:
                rec.final_view = view
                return
            prompt = view.get("prompt")
            if not prompt or prompt["prompt_id"] in handled:
                await asyncio.sleep(rng.uniform(*cfg.poll_interval))
                continue
            pid = prompt["prompt_id"]
            handled.add(pid)
            rec.prompts_seen.append((pid, prompt["type"]))
            if prompt["type"] == "preview":
                rec.last_preview = prompt["data"]["content"]
            await asyncio.sleep(rng.uniform(*cfg.think_time))
            if rec.cancel_at is not None and len(rec.prompts_seen) - 1 == rec.cancel_at:
                rec.cancelled_by_script = True
                if rec.cancel_mode == "endpoint":
                    await _cancel(rec, pool, stats)
                    continue
                await _answer(rec, pool, pid, {"action": "cancel"}, stats)
                continue
            payload = await _answer(rec, pool, pid, answer_body(rec, prompt, rng), stats)
            if payload and rng.random() < cfg.replay_fraction:
                await _replay(rec, pool, payload, stats)
    except GaveUp as err:
        rec.errors.append(str(err))
    finally:
        rec.seconds = time.monotonic() - started


async def _create(rec: JobRecord, pool: ApiPool, body: dict[str, Any], stats: Stats) -> str:
    """Create with the job's key: every retry names the same job. Every other job sends its
    create once more when it has its id, as a client that never saw the reply would, and
    that must name the same job (the audit also counts one workflow per job)."""
    headers = {"Idempotency-Key": rec.key}
    r, ambiguous = await pool.request("POST", f"{API}/skills/create", json=body, headers=headers)
    stats.creates_retried += int(ambiguous)
    if r.status_code != 202:
        raise GaveUp(f"create -> {r.status_code} {r.text[:300]}")
    job_id: str = r.json()["job_id"]
    if rec.index % 2 == 0:
        again, _ = await pool.request("POST", f"{API}/skills/create", json=body, headers=headers)
        if again.status_code != 202 or again.json().get("job_id") != job_id:
            raise GaveUp(f"the same create named another job: {again.status_code} "
                         f"{again.text[:300]} (first {job_id})")
        stats.creates_replayed += 1
    return job_id


async def _answer(
    rec: JobRecord, pool: ApiPool, pid: int, body: dict[str, Any], stats: Stats
) -> dict[str, Any] | None:
    """Answer until the answer is taken; the payload sent, or None if it was refused."""
    response_id = f"chaos-{rec.job_id[:8]}-p{pid}-{body['action']}"
    payload = {"prompt_id": pid, "response_id": response_id, **body}
    stats.answers_sent += 1
    r, ambiguous = await pool.request("POST", f"{API}/hitl/{rec.job_id}/response", json=payload)
    if r.status_code == 200:
        ack = r.json()
        if ack["prompt_id"] != pid or ack["response_id"] != response_id:
            rec.errors.append(f"ack for prompt {pid} names {ack['prompt_id']}/{ack['response_id']}")
        stats.duplicates_acked += int(bool(ack.get("duplicate")))
    elif r.status_code == 409 and ambiguous:
        # Applied by an earlier attempt and that answer finished the job: the gateway says
        # "already finished" instead of the original outcome (fixed; counted to prove it).
        stats.answers_409_after_retry += 1
    else:
        rec.errors.append(
            f"answer {body['action']} to prompt {pid} -> {r.status_code} {r.text[:300]}"
        )
        return None
    rec.answered[pid] = (response_id, body["action"])
    stats.answers_applied += 1
    if body["action"] in ("revise", "refine"):
        rec.revises_applied += 1
    return payload


async def _replay(rec: JobRecord, pool: ApiPool, payload: dict[str, Any], stats: Stats) -> None:
    """A client that lost the response sends it again; a slow second human answers late."""
    path = f"{API}/hitl/{rec.job_id}/response"
    stats.replays_sent += 1
    r, _ = await pool.request("POST", path, json=payload)
    if r.status_code == 200:
        # The original outcome again (Temporal dedupes the update id); the event log
        # audit proves it was not applied twice.
        ack = r.json()
        if (ack["prompt_id"], ack["response_id"]) != (payload["prompt_id"], payload["response_id"]):
            rec.errors.append(f"replayed answer {payload['response_id']} acked as {ack}")
        stats.replays_acked += 1
    elif r.status_code != 409:  # 409: the job finished meanwhile
        rec.errors.append(f"replayed answer -> {r.status_code} {r.text[:200]}")
    stats.stale_sent += 1
    late = {**payload, "response_id": f"{payload['response_id']}-late", "action": "proceed"}
    late.pop("feedback", None)
    r, _ = await pool.request("POST", path, json=late)
    if r.status_code != 409:
        rec.errors.append(
            f"late answer to prompt {payload['prompt_id']} -> {r.status_code} {r.text[:200]}"
        )


async def _cancel(rec: JobRecord, pool: ApiPool, stats: Stats) -> None:
    stats.cancels_sent += 1
    r, ambiguous = await pool.request("POST", f"{API}/jobs/{rec.job_id}/cancel")
    if r.status_code == 202 or (r.status_code == 409 and ambiguous):
        return
    rec.errors.append(f"cancel -> {r.status_code} {r.text[:300]}")
