"""The chaos harness: a fault controller, an impatient HTTP client, and the final audit.

`run_chaos` starts a private stack (Temporal dev server, 2 workers, 2 API instances on
fixed ports), drives N jobs concurrently through every checkpoint over HTTP while a
controller thread SIGKILLs and restarts workers, API instances and once the Temporal
server itself, then audits every job: status, draft on disk, event log, answers applied.

Every loop is bounded in time and count; the randomness comes from one seed, printed.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from common import search_attributes as sa
from devstack.processes import ManagedProcess, free_port
from skill_format.models import SkillContent
from tests.support import API, LocalStack
from workflows import names
from workflows.models import JobState, SkillVersion

TERMINAL = frozenset({"completed", "failed", "cancelled"})
TERMINAL_EVENTS = frozenset({"completed", "cancelled", "promoted"})
RESOLVING_EVENTS = frozenset({"answer_accepted", "prompt_timed_out", "cancelled"})

VAGUE_TASK = "Help me with stuff please"
NAMED_TASKS = [
    "Create a skill named Claude-Helper that formats SQL queries for readability in reviews",
    "Create a skill named Claude-Helper that summarises pytest failures from CI logs",
    "Create a skill named Claude-Helper that drafts release notes from merged pull requests",
]
PLAIN_TASKS = [
    "Write commit messages for git repositories following the conventional commits format",
    "Convert CSV exports from the billing system into monthly revenue charts",
    "Review Python pull requests for security issues and missing tests",
    "Triage Kubernetes incidents from pod logs and suggest the next debugging step",
    "Turn meeting transcripts into a one page summary with decisions and owners",
]
SUBJECTS = [
    "reviewing python pull requests",
    "cleaning csv exports before loading them into a database",
    "writing release notes for a mobile app",
    "debugging flaky integration tests",
]
OUTPUTS = ["guide", "checklist", "script"]


@dataclass
class ChaosConfig:
    jobs: int
    seed: int
    worker_kills: int
    api_kills: int
    server_restarts: int = 1
    # Both workers killed at once (answers 503 until one is back).
    all_worker_kills: int = 0
    fault_gap: tuple[float, float] = (2.0, 5.0)
    worker_down: tuple[float, float] = (0.0, 3.0)
    api_down: tuple[float, float] = (0.0, 2.0)
    server_down: tuple[float, float] = (1.0, 3.0)
    poll_interval: tuple[float, float] = (0.3, 0.6)
    # A human reads the prompt before answering.
    think_time: tuple[float, float] = (0.2, 2.0)
    job_timeout: float = 240.0
    offline_delay: float = 1.0
    cancel_fraction: float = 0.25
    request_timeout: float = 15.0
    # Jobs are created over this many seconds, so faults meet jobs in every phase.
    create_spread: float = 0.0
    # After an answer is taken, send it again (same response_id: a duplicate) and a late
    # answer to the same prompt (new response_id: stale) this often.
    replay_fraction: float = 0.3


# ------------------------------------------------------------------ the fault controller


@dataclass
class Fault:
    at: float
    kind: str
    target: str
    down_seconds: float
    restart_seconds: float = 0.0


class FaultController(threading.Thread):
    """SIGKILLs and restarts processes at random moments, one fault at a time.

    The plan (how many faults of each kind) is fixed up front so the run is bounded;
    it stops early when `stop` is set. After each fault everything is back up.
    """

    def __init__(
        self,
        stack: LocalStack,
        cfg: ChaosConfig,
        rng: random.Random,
        workers: list[ManagedProcess],
        apis: list[ManagedProcess],
        api_ports: list[int],
        worker_env: dict[str, str],
        log: Any,
    ) -> None:
        super().__init__(name="chaos-controller", daemon=True)
        self.stack = stack
        self.cfg = cfg
        self.rng = rng
        self.workers = workers
        self.apis = apis
        self.api_ports = api_ports
        self.worker_env = worker_env
        self.log = log
        self.stop_event = threading.Event()
        self.faults: list[Fault] = []
        self.error: BaseException | None = None
        self.t0 = time.monotonic()
        # One fault of each kind first (in random order), so even a short run survives
        # each kind; then the rest of the kills shuffled.
        first = [
            k
            for k, n in (
                ("worker", cfg.worker_kills),
                ("api", cfg.api_kills),
                ("server", cfg.server_restarts),
            )
            if n
        ]
        rest = (
            ["worker"] * (cfg.worker_kills - 1)
            + ["api"] * (cfg.api_kills - 1)
            + ["server"] * (cfg.server_restarts - 1)
            + ["workers"] * cfg.all_worker_kills
        )
        self.rng.shuffle(first)
        self.rng.shuffle(rest)
        self.plan = first + [k for k in rest if k]

    def run(self) -> None:
        try:
            for kind in self.plan:
                if self.stop_event.wait(self.rng.uniform(*self.cfg.fault_gap)):
                    break
                getattr(self, f"_fault_{kind}")()
        except BaseException as err:  # surfaced by the test
            self.error = err
            self.log(f"controller error: {err!r}")
        finally:
            self._ensure_up()

    def _elapsed(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    def _fault_worker(self) -> None:
        i = self.rng.randrange(len(self.workers))
        down = self.rng.uniform(*self.cfg.worker_down)
        at = self._elapsed()
        self.workers[i].kill()
        self.log(
            f"[{at:7.2f}s] SIGKILL worker slot {i} (pid {self.workers[i].pid}); down {down:.1f}s"
        )
        time.sleep(down)
        started = time.monotonic()
        self.workers[i] = self.stack.start_worker(**self.worker_env)
        self.faults.append(Fault(at, "worker", f"worker{i}", down, time.monotonic() - started))

    def _fault_workers(self) -> None:
        down = self.rng.uniform(*self.cfg.worker_down)
        at = self._elapsed()
        for w in self.workers:
            w.kill()
        self.log(f"[{at:7.2f}s] SIGKILL all {len(self.workers)} workers; down {down:.1f}s")
        time.sleep(down)
        started = time.monotonic()
        for i in range(len(self.workers)):
            self.workers[i] = self.stack.start_worker(**self.worker_env)
        self.faults.append(Fault(at, "workers", "all", down, time.monotonic() - started))

    def _fault_api(self) -> None:
        j = self.rng.randrange(len(self.apis))
        down = self.rng.uniform(*self.cfg.api_down)
        at = self._elapsed()
        self.apis[j].kill()
        self.log(f"[{at:7.2f}s] SIGKILL api slot {j} (port {self.api_ports[j]}); down {down:.1f}s")
        time.sleep(down)
        started = time.monotonic()
        self.stack.start_api(port=self.api_ports[j])
        self.apis[j] = self.stack.apis[-1]
        self.faults.append(Fault(at, "api", f"api{j}", down, time.monotonic() - started))

    def _fault_server(self) -> None:
        down = self.rng.uniform(*self.cfg.server_down)
        at = self._elapsed()
        self.stack.stop_server(kill=True)
        self.log(f"[{at:7.2f}s] SIGKILL Temporal server; down {down:.1f}s")
        time.sleep(down)
        started = time.monotonic()
        self.stack.start_server()
        self.faults.append(Fault(at, "server", "temporal", down, time.monotonic() - started))
        self.log(
            f"[{self._elapsed():7.2f}s] Temporal server back "
            f"({time.monotonic() - started:.1f}s to start)"
        )

    def _ensure_up(self) -> None:
        """Whatever happened, leave the stack whole for the audit."""
        try:
            if self.stack.server and not self.stack.server.running():
                self.stack.start_server()
            for i, w in enumerate(self.workers):
                if not w.running():
                    self.workers[i] = self.stack.start_worker(**self.worker_env)
            for j, a in enumerate(self.apis):
                if not a.running():
                    self.stack.start_api(port=self.api_ports[j])
                    self.apis[j] = self.stack.apis[-1]
        except BaseException as err:
            self.error = self.error or err


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


# ------------------------------------------------------------------ the audit


async def count_jobs(address: str, user: str, expected: int) -> int:
    """How many jobs the user has (visibility lags a moment: wait for `expected`)."""
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    query = f"WorkflowType = '{names.WORKFLOW_TYPE}' AND {sa.USER.name} = '{user}'"
    deadline = time.monotonic() + 15
    while True:
        count = (await client.count_workflows(query)).count
        if count == expected or time.monotonic() > deadline:
            return count
        await asyncio.sleep(0.5)


async def fetch_states(address: str, job_ids: list[str]
                       ) -> dict[str, tuple[JobState, SkillContent | None]]:
    """Each job's state and its newest version's files (the state lists versions without)."""
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    states: dict[str, tuple[JobState, SkillContent | None]] = {}
    for job_id in job_ids:
        deadline = time.monotonic() + 60
        handle = client.get_workflow_handle(job_id)
        while True:
            try:
                state = await handle.query(names.QUERY_GET_STATE, result_type=JobState,
                                           rpc_timeout=timedelta(seconds=10))
                newest = await handle.query(
                    names.QUERY_GET_VERSION, len(state.versions),
                    result_type=SkillVersion | None, rpc_timeout=timedelta(seconds=10))
                states[job_id] = state, newest.content if newest else None
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    return states


def audit_events(rec: JobRecord, state: JobState) -> list[str]:
    """The event log tells one consistent story, and every answer landed once, on its prompt."""
    bad: list[str] = []
    events = state.events
    seqs = [e.seq for e in events]
    if seqs != list(range(1, len(events) + 1)):
        bad.append(f"event seqs not 1..{len(events)}: {seqs}")
    if not events or events[0].kind != "job_started":
        bad.append(f"first event is {events[0].kind if events else None}, not job_started")
    if events and events[-1].kind not in TERMINAL_EVENTS:
        bad.append(
            f"last event is {events[-1].kind} (after "
            f"{[e.kind for e in events[-3:]]}), not one of {sorted(TERMINAL_EVENTS)}"
        )
    kinds = Counter(e.kind for e in events)
    if kinds["completed"] + kinds["cancelled"] != 1 or kinds["job_started"] != 1:
        bad.append(f"terminal/started events: {dict(kinds)}")

    current: int | None = None  # the prompt raised and not yet resolved
    response_ids: list[str] = []
    answered_prompts: Counter[int] = Counter()
    for e in events:
        if e.kind == "prompt_raised":
            if current is not None:
                bad.append(f"prompt {e.data['prompt_id']} raised while {current} unresolved")
            current = e.data["prompt_id"]
        elif e.kind == "answer_accepted":
            pid = e.data["prompt_id"]
            answered_prompts[pid] += 1
            if e.data.get("source") == "timeout":
                continue
            if current is None or pid != current:
                bad.append(
                    f"answer {e.data.get('response_id')} for prompt {pid} accepted "
                    f"while the raised prompt was {current}"
                )
            rid = e.data.get("response_id")
            if rid:
                response_ids.append(rid)
            sent = rec.answered.get(pid)
            if sent is None or sent[0] != rid:
                bad.append(f"answer {rid} accepted for prompt {pid}; the client sent {sent}")
            current = None
        elif e.kind == "prompt_timed_out":
            current = None
        elif e.kind == "cancelled":
            current = None
    if current is not None and state.status.value in TERMINAL:
        bad.append(f"prompt {current} never resolved")
    dup_rids = [r for r, n in Counter(response_ids).items() if n > 1]
    if dup_rids:
        bad.append(f"response ids applied twice: {dup_rids}")
    twice = [p for p, n in answered_prompts.items() if n > 1]
    if twice:
        bad.append(f"prompts answered twice: {twice}")
    # Every answer the client had acknowledged is in the log, exactly as sent.
    accepted = {
        e.data["prompt_id"]: e.data.get("response_id")
        for e in events
        if e.kind == "answer_accepted"
    }
    for pid, (rid, _action) in rec.answered.items():
        if accepted.get(pid) != rid:
            bad.append(f"client's answer {rid} to prompt {pid} is not in the log")
    if state.applied_responses != {rid: pid for pid, (rid, _) in rec.answered.items()}:
        bad.append(
            f"applied_responses {state.applied_responses} differ from the client's "
            f"answers {rec.answered}"
        )
    if state.revisions.get("confirm", 0) != rec.revises_applied or (
        sum(state.revisions.values()) != rec.revises_applied
    ):
        bad.append(
            f"revisions {state.revisions} but the client revised {rec.revises_applied} time(s)"
        )
    return bad


def audit_draft(rec: JobRecord, state: JobState, content: SkillContent | None,
                skills_root: Path) -> list[str]:
    bad: list[str] = []
    job_root = skills_root / "_drafts" / rec.job_id
    if state.status.value == "cancelled":
        if job_root.exists():
            bad.append(f"cancelled job left {sorted(p.name for p in job_root.rglob('*'))}")
        return bad
    taxonomy = state.intended_taxonomy_path or ""
    skill_dir = job_root / taxonomy
    if not (skill_dir / "SKILL.md").is_file():
        return [f"no draft at {skill_dir}"]
    if state.draft_path and (skills_root / state.draft_path).resolve() != skill_dir.resolve():
        bad.append(f"state draft_path {state.draft_path} is not {skill_dir}")
    on_disk = (skill_dir / "SKILL.md").read_text(encoding="utf-8")
    if content is None or on_disk != content.skill_md:
        bad.append("draft SKILL.md differs from the job state's content")
    if rec.last_preview is not None and on_disk != rec.last_preview:
        bad.append("draft SKILL.md differs from the last preview the client saw")
    # Exactly one folder chain to the skill, and inside it only the skill's own files.
    chain = {
        job_root / Path(*Path(taxonomy).parts[:i]) for i in range(1, len(Path(taxonomy).parts) + 1)
    }
    expected_files = {"SKILL.md", *(content.files if content else {})}
    for p in job_root.rglob("*"):
        if p in chain:
            continue
        try:
            rel = p.relative_to(skill_dir)
        except ValueError:
            bad.append(f"unexpected entry under _drafts/{rec.job_id}: {p.relative_to(job_root)}")
            continue
        if p.is_file() and str(rel) not in expected_files:
            bad.append(f"unexpected file in the draft: {rel}")
        if p.is_dir() and not any(f.startswith(f"{rel}/") for f in expected_files):
            bad.append(f"unexpected folder in the draft: {rel}")
    return bad


def audit_job(rec: JobRecord, found: tuple[JobState, SkillContent | None] | None,
              skills_root: Path) -> list[str]:
    if found is None:
        return ["no state"]
    state, content = found
    bad = list(rec.errors)
    want = "cancelled" if rec.cancelled_by_script else "completed"
    if state.status.value != want:
        bad.append(f"status {state.status.value} (error {state.error!r}), expected {want}")
    if rec.final_view and rec.final_view["status"] != state.status.value:
        bad.append(f"API said {rec.final_view['status']}, state says {state.status.value}")
    bad += audit_events(rec, state)
    bad += audit_draft(rec, state, content, skills_root)
    return [f"job {rec.index} ({rec.kind}, {rec.job_id}): {b}" for b in bad]


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
