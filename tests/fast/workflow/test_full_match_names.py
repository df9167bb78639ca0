"""A structure_fix answer's name must match whole: "victim\\n" is refused by a running job.

The prompt's schema is checked with Python's `jsonschema`, where `$` also matched before a
final newline. New jobs publish the full-match pattern (behind a patch marker, so histories
recorded before keep replaying: tests/fast/test_replay.py).
"""

from __future__ import annotations

from temporalio.client import WorkflowHistory

from tests.fast.workflow.jobs import Harness, eventually, refusal
from workflows.checkpoints import PATCH_FULL_MATCH_NAMES
from workflows.hitl import SKILL_NAME_PATTERN
from workflows.models import HitlType, JobStatus

BAD_NAME_TASK = "Create a skill named Bad_Name that reviews Python pull requests"


async def test_a_name_with_a_trailing_newline_is_refused(harness: Harness) -> None:
    job = await harness.start(BAD_NAME_TASK)
    fix = await job.wait_prompt(HitlType.STRUCTURE_FIX)
    assert fix.answer_schema["properties"]["skill_name"]["pattern"] == SKILL_NAME_PATTERN

    refused = await refusal(job.answer(fix.prompt_id, skill_name="victim\n"))
    assert refused.type == "invalid_answer" and "skill_name" in refused.message

    await job.signal_answer(fix.prompt_id, skill_name="victim\n")
    await eventually(job.events, lambda evs: any(e.kind == "answer_rejected" for e in evs),
                     "the signal refusal")
    assert (await job.prompt()) == fix

    await job.answer(fix.prompt_id, skill_name="victim")
    done = await job.wait_status(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
    assert done.status is JobStatus.COMPLETED and done.skill_name == "victim", done.error
    history: WorkflowHistory = await job.handle.fetch_history()
    patches = [e.marker_recorded_event_attributes.details["patch-data"].SerializeToString()
               for e in history.events if e.HasField("marker_recorded_event_attributes")
               and e.marker_recorded_event_attributes.marker_name == "core_patch"]
    assert any(PATCH_FULL_MATCH_NAMES.encode() in data for data in patches)
