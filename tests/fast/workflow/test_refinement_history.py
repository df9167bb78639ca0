"""The auto-refinement path's recorded histories for tests/fast/test_replay.py (issue 25).

The runs of `workflows.refinement` (behind `workflow.patched("auto-refine")`) with stub
activities: a model-authored draft fails, round 1's revision is kept but still fails, round 2's
passes, the judge scores every model draft, and the job completes; and the same job paused while
round 2's `refine_draft` is in flight (a history that ends with the activity scheduled, as a
worker deploy would find it). Each test checks the run took that path, so the history covers it.

`RECORD_HISTORIES=1` writes them to tests/histories/ (only after a deliberate, patched change).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from skill_format.models import SkillContent
from tests.fast.workflow.jobs import Job, StartHarness, eventually
from tests.fast.workflow.test_refinement import USAGE, LoopStubs
from workflows import names
from workflows.models import JobStatus
from workflows.refine_models import JudgeInput, JudgeResult, RefineInput
from workflows.refinement import PATCH_AUTO_REFINE

HISTORIES = Path(__file__).resolve().parent.parent.parent / "histories"
# pass at 0.75: the first draft fails, round 1 rises but fails, round 2 passes; the run closes
# when the (short) promotion window does, so the history is whole
OPTIONS = {"pass_threshold": 0.75, "auto_refine_max": 2, "judge": True,
           "promotion_window_seconds": 0.2}


class JudgedStubs(LoopStubs):
    """`LoopStubs` with a judge that scores (adds its part) and a round that can be held."""

    def __init__(self, skills_root: Path, hold_round: int | None = None) -> None:
        super().__init__(skills_root, first=0.4, revisions=[0.6, 0.8])
        self.hold_round = hold_round
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    @activity.defn(name=names.ACTIVITY_REFINE_DRAFT)
    async def refine(self, request: RefineInput) -> SkillContent:
        if request.round == self.hold_round:
            self.holding.set()
            while not self.release.is_set():
                activity.heartbeat()
                await asyncio.sleep(0.1)
        return await super().refine(request)

    @activity.defn(name=names.ACTIVITY_JUDGE_DRAFT)
    async def judge(self, request: JudgeInput) -> JudgeResult:
        self.judged.append(request)
        report = request.report.model_copy(deep=True)
        report.score_parts["rubric_judge"] = report.score
        report.part_weights["rubric_judge"] = 0.0
        return JudgeResult(report=report, judged=True, usage=USAGE)


def _activities(history: WorkflowHistory) -> list[str]:
    """The activities in the order the job ran them; a local one (the validator in a job
    since `lean-history`) is a marker."""
    ran = []
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            ran.append(e.activity_task_scheduled_event_attributes.activity_type.name)
        elif e.marker_recorded_event_attributes.marker_name == "core_local_activity":
            [data] = e.marker_recorded_event_attributes.details["data"].payloads
            ran.append(json.loads(data.data)["activity_type"])
    return ran


def _patched(history: WorkflowHistory) -> bool:
    return any(PATCH_AUTO_REFINE in str(e.marker_recorded_event_attributes)
               for e in history.events if e.HasField("marker_recorded_event_attributes"))


def _record(history: WorkflowHistory, name: str) -> None:
    if os.environ.get("RECORD_HISTORIES") == "1":
        (HISTORIES / f"{name}.json").write_text(history.to_json())


# a round's activities (a kept revision becomes a version in the workflow's state: no activity)
ROUND = [names.ACTIVITY_REFINE_DRAFT, names.ACTIVITY_VALIDATE, names.ACTIVITY_JUDGE_DRAFT]


async def test_two_judged_rounds_then_completed(start_harness: StartHarness,
                                                skills_root: Path) -> None:
    stubs = JudgedStubs(skills_root)
    job = await (await start_harness(stubs.all())).start(**OPTIONS)
    done = await job.wait_status(JobStatus.COMPLETED)

    assert [(r.round, r.score_before, r.score_after, r.kept, r.passed)
            for r in done.refine_rounds] == [(1, 0.4, 0.6, True, False), (2, 0.6, 0.8, True, True)]
    assert len(stubs.judged) == 3 and done.validation_passed is True
    assert done.validation is not None and "rubric_judge" in done.validation.score_parts
    await job.result()  # the run closed with the promotion window: the whole history
    history = await job.handle.fetch_history()
    assert _patched(history)
    scheduled = _activities(history)
    start = scheduled.index(names.ACTIVITY_REFINE_DRAFT)
    assert scheduled[start - 2:start + 6] == [
        names.ACTIVITY_VALIDATE, names.ACTIVITY_JUDGE_DRAFT, *ROUND, *ROUND]
    assert names.ACTIVITY_REFINE_DRAFT not in scheduled[start + 6:]
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    _record(history, "auto_refine_two_rounds_judged")


async def test_a_round_in_flight(start_harness: StartHarness, skills_root: Path) -> None:
    stubs = JudgedStubs(skills_root, hold_round=2)
    job: Job = await (await start_harness(stubs.all())).start(**OPTIONS)
    try:
        await asyncio.wait_for(stubs.holding.wait(), timeout=15)
        # the round's activity has started, so its scheduling is in the history
        history = await eventually(
            job.handle.fetch_history,
            lambda h: _activities(h).count(names.ACTIVITY_REFINE_DRAFT) == 2,
            "round 2 scheduled")
    finally:
        stubs.release.set()
    assert _patched(history)
    # the held round is the last activity scheduled, and none has finished since
    types = [e.event_type for e in history.events]
    held = max(i for i, t in enumerate(types) if t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert history.events[held].activity_task_scheduled_event_attributes.activity_type.name == (
        names.ACTIVITY_REFINE_DRAFT)
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in types[held:]
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED not in types
    _record(history, "auto_refine_round_in_flight")
    # released, the held round finishes the job as the uninterrupted run does
    done = await job.result()
    assert done.status is JobStatus.COMPLETED and [r.kept for r in done.refine_rounds] == [
        True, True]
