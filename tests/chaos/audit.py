"""The final audit of each job: its status, its draft on disk, and an event log in which
every answer was applied once, to its own prompt."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from common import search_attributes as sa
from skill_format.models import SkillContent
from tests.chaos.config import TERMINAL, TERMINAL_EVENTS
from tests.chaos.jobs import JobRecord
from workflows import names
from workflows.models import JobState, SkillVersion

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
