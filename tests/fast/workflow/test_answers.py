"""Answers at a checkpoint: cancel, revise with feedback, and the revision cap.

Each answer goes in as the API sends it (the update, with `wait` for the next prompt);
the cap is checked on the signal path too, where a refusal can only be an event.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from activities import authoring
from api.refusal_status import REFUSAL_STATUS
from tests.fast.workflow.jobs import (
    WAIT_SECONDS,
    Harness,
    StartHarness,
    eventually,
    real_activities,
    refusal,
)
from tests.fast.workflow.stubs import StuckAuthor
from workflows.models import AnswerCaller, HitlAction, HitlType, JobEvent, JobStatus, Phase

FEEDBACK = "Mention the on-call rotation for urgent tickets."


async def test_cancel_by_answer_ends_the_job_without_a_draft(harness: Harness) -> None:
    job = await harness.start(enable_hitl_preview=True)
    preview = await job.wait_prompt(HitlType.PREVIEW)
    ack = await job.answer(preview.prompt_id, "cancel", wait=10)
    assert (ack.action, ack.status) == (HitlAction.CANCEL, JobStatus.CANCELLED)

    final = await job.result()
    assert final.status is JobStatus.CANCELLED
    assert "preview" in final.progress_message
    assert final.prompt is None and final.draft_path is None
    kinds = [e.kind for e in final.events]
    assert kinds[-2:] == ["answer_accepted", "cancelled"] and "completed" not in kinds
    assert not job.drafts.exists()


async def test_cancel_request_stops_a_running_activity(
    start_harness: StartHarness, skills_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel mid-activity ends the job at once and reaches the activity by heartbeat."""
    monkeypatch.setattr(authoring, "HEARTBEAT_EVERY_SECONDS", 0.05)
    author = StuckAuthor()
    harness = await start_harness(real_activities(skills_root, author))
    job = await harness.start()
    await asyncio.wait_for(author.started.wait(), WAIT_SECONDS)

    await job.handle.cancel()  # what POST /jobs/{id}/cancel sends
    final = await job.result()
    assert final.status is JobStatus.CANCELLED
    assert final.current_phase is Phase.UNDERSTANDING and final.understanding is None
    assert [e.kind for e in final.events][-1] == "cancelled"
    await asyncio.wait_for(author.cancelled.wait(), WAIT_SECONDS)
    assert not job.drafts.exists()


async def test_revise_feedback_reaches_the_next_version(harness: Harness) -> None:
    job = await harness.start(enable_hitl_preview=True)
    first = await job.wait_prompt(HitlType.PREVIEW)
    assert (first.revisions_used, first.revisions_left) == (0, 3)
    assert FEEDBACK not in first.data["content"]

    second = (await job.answer(first.prompt_id, "revise", wait=10, feedback=FEEDBACK)).prompt
    assert second is not None and second.type is HitlType.PREVIEW
    # the offline author cannot rewrite prose: the text stays and the prompt says so
    assert second.data["content"] == first.data["content"]
    [note] = second.data["author_notes"]
    assert f'"{FEEDBACK.rstrip(".")}"' in note and "cannot rewrite" in note
    assert second.data["version"] == 2 and second.data["author"] == "offline"
    assert second.data["previous_content"] == first.data["content"]
    assert (second.revisions_used, second.revisions_left) == (1, 2)
    state = await job.state()
    assert [v.feedback for v in state.versions] == [None, FEEDBACK]
    assert state.revisions == {"preview": 1}

    assert (await job.answer(second.prompt_id, wait=10)).status is JobStatus.COMPLETED
    done = await job.state()
    assert done.draft_path is not None
    on_disk = (harness.skills_root / done.draft_path / "SKILL.md").read_text()
    assert on_disk == first.data["content"] and FEEDBACK not in on_disk


async def test_the_revision_cap_leaves_only_proceed_or_cancel(harness: Harness) -> None:
    job = await harness.start(enable_hitl_preview=True, max_revisions=1)
    first = await job.wait_prompt(HitlType.PREVIEW)
    assert HitlAction.REVISE in first.actions
    # "refine" is the older name of revise: it counts the same
    last = (await job.answer(first.prompt_id, "refine", wait=10, feedback=FEEDBACK)).prompt
    assert last is not None and last.data["version"] == 2
    assert last.actions == [HitlAction.PROCEED, HitlAction.CANCEL]
    assert (last.revisions_used, last.revisions_left) == (1, 0)

    over = await refusal(job.answer(last.prompt_id, "revise", feedback="Once more."))
    assert over.type == "revision_limit" and "limit" in over.message
    assert REFUSAL_STATUS[over.type] == 422

    # the signal path refuses it too, and says so in the job's events
    await job.signal_answer(last.prompt_id, "revise", feedback="Once more.")
    events = await eventually(job.events, lambda evs: any(e.kind == "answer_rejected"
                                                          for e in evs), "the signal refusal")
    rejected = _only(events, "answer_rejected")
    assert (rejected.data["reason"], rejected.data["source"]) == ("revision_limit", "signal")
    prompt = await job.prompt()
    assert prompt is not None and prompt.prompt_id == last.prompt_id

    assert (await job.answer(last.prompt_id, wait=10)).status is JobStatus.COMPLETED
    state = await job.state()
    assert len(state.versions) == 2 and state.revisions == {"preview": 1}


def _only(events: list[JobEvent], kind: str) -> JobEvent:
    [event] = [e for e in events if e.kind == kind]
    return event


async def test_an_accepted_answer_says_who_answered_when_it_is_known(harness: Harness) -> None:
    """The API sets `answered_by` (the key's user); a bare signal (the Web UI) has nobody."""
    job = await harness.start(enable_hitl_preview=True)
    first = await job.wait_prompt(HitlType.PREVIEW)
    second = (await job.answer(first.prompt_id, "revise", wait=10, feedback=FEEDBACK,
                               answered_by="rita")).prompt
    assert second is not None
    await job.signal_answer(second.prompt_id)
    await job.wait_status(JobStatus.COMPLETED)
    accepted = [e.data for e in await job.events() if e.kind == "answer_accepted"]
    assert [(d["prompt_id"], d["action"], d.get("answered_by")) for d in accepted] == [
        (first.prompt_id, "revise", "rita"), (second.prompt_id, "proceed", None)]
    assert "answered_by" not in accepted[1]  # only when set


async def test_only_the_owner_or_an_admin_may_answer(harness: Harness) -> None:
    """The update's validator checks the caller the API names (it describes nothing first):
    another user is refused as `not_found` and nothing is recorded, even for a duplicate;
    an answer without a caller (an older API) is taken as before."""
    job = await harness.start(enable_hitl_confirm=True, enable_hitl_preview=True,
                              user_id="alice")
    confirm = await job.wait_prompt(HitlType.CONFIRM)
    stranger = AnswerCaller(user_id="bob", admin=False)
    refused = await refusal(job.answer(confirm.prompt_id, caller=stranger))
    assert (refused.type, refused.message) == ("not_found", f"Job {job.id} not found.")
    assert "answer_accepted" not in [e.kind for e in (await job.state()).events]

    ack = await job.answer(confirm.prompt_id, response_id="r1", wait=10,
                           caller=AnswerCaller(user_id="alice"))
    assert ack.prompt is not None and ack.prompt.type is HitlType.PREVIEW
    again = await refusal(job.answer(confirm.prompt_id, response_id="r1", caller=stranger))
    assert again.type == "not_found"  # a duplicate tells a stranger nothing either
    admin = await job.answer(ack.prompt.prompt_id, caller=AnswerCaller(admin=True), wait=10)
    assert admin.status is JobStatus.COMPLETED
    kinds = [e.kind for e in (await job.state()).events]
    assert kinds.count("answer_accepted") == 2
