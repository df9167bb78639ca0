"""Deadlines of a prompt: reminders, escalation, and the timeout policy (cancel or proceed).

The durations are the job's own input, so a "day-long" deadline here lasts under two
seconds while the workflow runs exactly the code it runs in production.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from common import search_attributes as sa
from tests.fast.workflow.jobs import Harness, eventually
from workflows.models import HitlType, JobEvent, JobStatus

NUDGES = ("prompt_reminder", "prompt_escalated")
VAGUE_TASK = "Help me with stuff please"
BAD_NAME_TASK = "Create a skill named Bad_Name that reviews Python pull requests"
# Timer precision: workflow time is the server's, in milliseconds.
SLACK = timedelta(milliseconds=5)


def of_kind(events: list[JobEvent], kind: str) -> list[JobEvent]:
    return [e for e in events if e.kind == kind]


async def test_timeout_cancels_by_default(harness: Harness) -> None:
    job = await harness.start(enable_hitl_confirm=True, hitl_timeout_seconds=0.5)
    final = await job.result()  # a cancelled job's run closes

    assert final.status is JobStatus.CANCELLED
    assert "deadline" in final.progress_message
    assert final.prompt is None and final.draft_path is None
    [raised] = of_kind(final.events, "prompt_raised")
    [timed_out] = of_kind(final.events, "prompt_timed_out")
    assert raised.data["type"] == "confirm"
    assert timed_out.data["timeout_action"] == "cancel"
    assert timed_out.at - raised.at >= timedelta(seconds=0.5) - SLACK
    assert [e.kind for e in final.events][-1] == "cancelled"
    assert not of_kind(final.events, "answer_accepted")
    assert not job.drafts.exists()


async def test_timeout_can_proceed_with_default_answers(harness: Harness) -> None:
    """Clarify is answered with each question's default, confirm accepted as is."""
    job = await harness.start(VAGUE_TASK, enable_hitl_confirm=True, hitl_timeout_seconds=0.3,
                              on_hitl_timeout="proceed")
    done = await job.wait_status(JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.FAILED)

    assert done.status is JobStatus.COMPLETED, done.error
    assert [e.data["type"] for e in of_kind(done.events, "prompt_raised")] == ["clarify",
                                                                                "confirm"]
    assert [e.data["timeout_action"] for e in of_kind(done.events, "prompt_timed_out")] == [
        "proceed", "proceed"]
    assert {e.data["source"] for e in of_kind(done.events, "answer_accepted")} == {"timeout"}
    assert done.clarifications == {"subject": "No preference; use sensible defaults.",
                                   "output": "guide", "examples": True}
    assert done.validation_passed is True
    assert done.draft_path and (harness.skills_root / done.draft_path / "SKILL.md").is_file()


async def test_timeout_proceed_accepts_the_suggested_structure_fix(harness: Harness) -> None:
    job = await harness.start(BAD_NAME_TASK, hitl_timeout_seconds=0.3, on_hitl_timeout="proceed")
    done = await job.wait_status(JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.FAILED)

    assert done.status is JobStatus.COMPLETED, done.error
    assert [e.data["type"] for e in of_kind(done.events, "prompt_raised")] == ["structure_fix"]
    assert done.skill_name == "python-pull-requests"
    assert done.draft_path == f"_drafts/{job.id}/development/python-pull-requests"


async def test_reminders_then_escalation_then_timeout(harness: Harness) -> None:
    """Nudges come in time order, no earlier than planned; escalation reassigns the prompt."""
    timeout, offsets, escalate = 1.5, [0.4, 1.2], 0.8  # offsets deliberately unsorted
    job = await harness.start(enable_hitl_confirm=True, user_id="alice",
                              hitl_timeout_seconds=timeout, reminder_offsets_seconds=offsets,
                              escalate_before_seconds=escalate, escalation_group="reviewers")
    prompt = await job.wait_prompt(HitlType.CONFIRM)
    assert (prompt.assignee, prompt.reminders_sent) == ("alice", 0)

    # between the escalation and the deadline, the prompt (and the inbox's attribute)
    # belong to the group
    escalated = await eventually(job.prompt, lambda p: p is None or p.assignee != "alice",
                                 "escalation")
    assert escalated is not None, "the deadline passed before the escalation was seen"
    assert escalated.assignee == "group:reviewers" and escalated.reminders_sent >= 1
    attributes = (await job.handle.describe()).typed_search_attributes
    assert attributes.get(sa.ASSIGNEE) == "group:reviewers"

    final = await job.result()
    assert final.status is JobStatus.CANCELLED
    kinds = [e.kind for e in final.events]
    nudges = [e for e in final.events if e.kind in NUDGES]
    assert [(e.kind, e.data["seconds_left"]) for e in nudges] == [
        ("prompt_reminder", 1.2), ("prompt_escalated", 0.8), ("prompt_reminder", 0.4)]
    assert nudges[1].data["assignee"] == "group:reviewers"
    assert kinds.index("prompt_timed_out") > kinds.index("prompt_escalated")
    # durable timers: each nudge came no earlier than its time before the deadline
    [raised] = of_kind(final.events, "prompt_raised")
    for nudge in nudges:
        planned = timedelta(seconds=timeout - nudge.data["seconds_left"])
        assert nudge.at - raised.at >= planned - SLACK, nudge


async def test_an_answer_stops_the_reminders(harness: Harness) -> None:
    # The first nudge is due 1.5 s after the prompt: the answer comes well before it even
    # on a loaded machine (due 0.2 s after, it once came first under the full suite).
    job = await harness.start(enable_hitl_confirm=True, hitl_timeout_seconds=2.0,
                              reminder_offsets_seconds=[0.5], escalate_before_seconds=0.3)
    prompt = await job.wait_prompt(HitlType.CONFIRM)
    assert (await job.answer(prompt.prompt_id, wait=10)).status is JobStatus.COMPLETED

    # wait out the old deadline: nothing may nudge an answered prompt
    left = (prompt.deadline - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(left, 0) + 0.1)
    state = await job.state()
    assert not [e for e in state.events if e.kind in NUDGES]
    assert state.status is JobStatus.COMPLETED
