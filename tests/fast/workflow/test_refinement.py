"""The refinement loop's rules with stub activities: rounds, early stop, best draft, costs.

The author, validator, refiner and judge are stubs under the real names; a draft's score is
written in its SKILL.md (`score: 0.40`), so a test scripts exactly what each round achieves.
The real HTTP model is in tests/test_auto_refine.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.drafts import DraftActivities
from activities.run_cancel import cancel_run
from skill_format.models import Finding, SkillContent, ValidationReport
from tests.fast.workflow.jobs import StartHarness
from tests.fast.workflow.stubs import PLAN
from workflows import names
from workflows.models import (
    GenerateInput,
    HitlType,
    JobStatus,
    Understanding,
    UnderstandInput,
    ValidateInput,
)
from workflows.refine_models import (
    JudgeInput,
    JudgeResult,
    RefineInput,
    TokenUsage,
    findings_of,
)

USAGE = TokenUsage(calls=1, input_tokens=100, output_tokens=40)


def draft(score: float, author: str = "model") -> SkillContent:
    return SkillContent(skill_md=f"---\nname: ticket-triage\n---\n\nscore: {score:.2f}\n",
                        author=author, usage=USAGE if author == "model" else None)


class LoopStubs:
    """First draft at `first`; round n's revision scores `revisions[n-1]` (None: it fails)."""

    def __init__(self, skills_root: Path, first: float, revisions: list[float | None],
                 author: str = "model") -> None:
        self.first, self.revisions, self.author = first, revisions, author
        self.generated: list[GenerateInput] = []
        self.refined: list[RefineInput] = []
        self.judged: list[JudgeInput] = []
        self._drafts = DraftActivities(skills_root)

    def all(self) -> list[Callable[..., Any]]:
        return [self.understand, self.generate, self.validate, self.refine, self.judge,
                self._drafts.save_draft, self._drafts.delete_draft, cancel_run]

    @activity.defn(name=names.ACTIVITY_UNDERSTAND)
    async def understand(self, request: UnderstandInput) -> Understanding:
        return PLAN.model_copy(update={"usage": USAGE} if self.author == "model" else {})

    @activity.defn(name=names.ACTIVITY_GENERATE)
    async def generate(self, request: GenerateInput) -> SkillContent:
        self.generated.append(request)
        return draft(self.first if len(self.generated) == 1 else 0.3, self.author)

    @activity.defn(name=names.ACTIVITY_VALIDATE)
    async def validate(self, request: ValidateInput) -> ValidationReport:
        match = re.search(r"score: ([0-9.]+)", request.content.skill_md)
        score = float(match.group(1)) if match else 0.0
        return ValidationReport(
            passed=score >= request.pass_threshold, score=score,
            score_parts={"actionability": score}, part_weights={"actionability": 1.0},
            weaknesses=[] if score >= 0.85 else ["actionability: steps fit any task"],
            findings=[Finding(part="actionability", message="generic step", lines=[7],
                              words=["triage"])],
            pass_threshold=request.pass_threshold)

    @activity.defn(name=names.ACTIVITY_REFINE_DRAFT)
    async def refine(self, request: RefineInput) -> SkillContent:
        self.refined.append(request)
        score = self.revisions[request.round - 1]
        if score is None:
            raise ApplicationError("scripted refusal", type="LlmBadRequest", non_retryable=True)
        return draft(score)

    @activity.defn(name=names.ACTIVITY_JUDGE_DRAFT)
    async def judge(self, request: JudgeInput) -> JudgeResult:
        self.judged.append(request)
        report = request.report.model_copy(deep=True)
        report.findings.append(Finding(part="rubric_judge", message="judge is down"))
        return JudgeResult(report=report, judged=False, note="judge is down",
                           usage=TokenUsage(calls=1, input_tokens=7, output_tokens=3))


async def test_a_failing_model_draft_is_refined_until_it_passes(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = LoopStubs(skills_root, first=0.4, revisions=[0.6, 0.8])
    harness = await start_harness(stubs.all())
    job = await harness.start(pass_threshold=0.75, auto_refine_max=2)
    done = await job.wait_status(JobStatus.COMPLETED)

    assert done.status is JobStatus.COMPLETED and done.validation_passed is True
    assert [(r.round, r.score_before, r.score_after, r.kept, r.passed)
            for r in done.refine_rounds] == [(1, 0.4, 0.6, True, False), (2, 0.6, 0.8, True, True)]
    # the findings went to the model as a structured list, with their evidence
    first = stubs.refined[0]
    assert first.round == 1 and first.score == 0.4 and first.draft.skill_md == draft(0.4).skill_md
    assert [(f.kind, f.part, f.lines, f.words) for f in first.findings] == [
        ("weak_part", "actionability", [7], ["triage"])]
    assert done.refine_rounds[0].findings == 1
    assert stubs.refined[1].draft.skill_md == draft(0.6).skill_md
    assert [v.feedback for v in done.versions] == [
        None, "Refinement round 1: 1 findings", "Refinement round 2: 1 findings"]
    assert len(stubs.generated) == 1  # the single regeneration of old is not used
    on_disk = (skills_root / str(done.draft_path) / "SKILL.md").read_text()
    assert "score: 0.80" in on_disk
    # tokens: plan, first draft, two rounds (no judge asked for)
    assert stubs.judged == []
    assert done.token_usage["total"] == TokenUsage(calls=4, input_tokens=400, output_tokens=160)
    assert done.token_usage["refine"].calls == 2
    assert all(r.usage == USAGE for r in done.refine_rounds)


async def test_the_loop_stops_when_the_score_stops_rising_and_keeps_the_best(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = LoopStubs(skills_root, first=0.4, revisions=[0.5, 0.45, 0.9])
    harness = await start_harness(stubs.all())
    job = await harness.start(pass_threshold=0.75, auto_refine_max=3)
    review = await job.wait_prompt(HitlType.VALIDATE)

    assert len(stubs.refined) == 2  # the third round never ran
    state = await job.state()
    assert [(r.score_before, r.score_after, r.kept) for r in state.refine_rounds] == [
        (0.4, 0.5, True), (0.5, 0.45, False)]
    # the human sees the best draft (round 1's) and its report, not the last one
    assert review.data["report"]["score"] == 0.5
    assert len(state.versions) == 2
    assert "score: 0.50" in (await job.version(2)).content.skill_md
    assert state.validation_score == 0.5
    assert "refine_round" in await job.kinds()


async def test_a_failed_round_keeps_the_best_draft_for_the_human(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = LoopStubs(skills_root, first=0.4, revisions=[0.6, None])
    harness = await start_harness(stubs.all())
    job = await harness.start(pass_threshold=0.75, auto_refine_max=2)
    review = await job.wait_prompt(HitlType.VALIDATE)

    assert review.data["report"]["score"] == 0.6
    state = await job.state()
    assert state.refine_rounds[-1].error and "scripted refusal" in state.refine_rounds[-1].error
    assert state.refine_rounds[-1].score_after is None
    assert "refine_failed" in await job.kinds()


async def test_off_or_offline_means_no_round(start_harness: StartHarness,
                                             skills_root: Path) -> None:
    off = LoopStubs(skills_root, first=0.4, revisions=[0.9])
    harness = await start_harness(off.all())
    job = await harness.start(pass_threshold=0.75, auto_refine_max=0)
    await job.wait_prompt(HitlType.VALIDATE)
    # 0 turns the loop off: the job behaves as before (one regeneration, then a human)
    assert off.refined == [] and len(off.generated) == 2
    assert (await job.state()).refine_rounds == []

    offline = LoopStubs(skills_root, first=0.4, revisions=[0.9], author="offline")
    harness = await start_harness(offline.all())
    job = await harness.start(pass_threshold=0.75, auto_refine_max=2, judge=True)
    await job.wait_prompt(HitlType.VALIDATE)
    state = await job.state()
    assert offline.refined == [] and offline.judged == [] and state.refine_rounds == []
    assert state.token_usage == {}


async def test_a_judge_that_cannot_score_leaves_the_validators_verdict(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = LoopStubs(skills_root, first=0.8, revisions=[])
    harness = await start_harness(stubs.all())
    job = await harness.start(pass_threshold=0.75, auto_refine_max=2, judge=True)
    done = await job.wait_status(JobStatus.COMPLETED)

    assert len(stubs.judged) == 1 and stubs.refined == []
    assert done.validation_passed is True and done.validation_score == 0.8
    assert done.validation is not None
    assert Finding(part="rubric_judge", message="judge is down") in done.validation.findings
    assert "judge_unavailable" in [e.kind for e in done.events]
    assert done.token_usage["judge"] == TokenUsage(calls=1, input_tokens=7, output_tokens=3)


def test_findings_of_lists_errors_warnings_cases_and_weak_parts() -> None:
    report = ValidationReport.model_validate({
        "passed": False, "score": 0.5, "errors": ["name: not kebab-case"],
        "warnings": ["no Examples section"],
        "trigger_cases": [{"request": "sort my tickets", "should_trigger": True,
                           "triggered": False},
                          {"request": "fine", "should_trigger": True, "triggered": True}],
        "score_parts": {"examples": 0.2, "structure": 1.0, "specificity": 0.5},
        "weaknesses": ["examples: show a real input"],
        "findings": [{"part": "examples", "message": "no code block", "lines": [3, 1]},
                     {"part": "structure", "message": "all sections"}]})
    found = findings_of(report)
    assert [(f.kind, f.part) for f in found] == [
        ("error", ""), ("warning", ""), ("trigger_case", "trigger_clarity"),
        ("weak_part", "examples"), ("weak_part", "specificity")]
    examples = found[3]
    assert examples.lines == [1, 3] and examples.score == 0.2
    assert examples.message == "show a real input. no code block"
    assert "'sort my tickets' should trigger but does not" in found[2].message
    assert found[4].message == "specificity scores 0.50"


def test_the_judge_setting_builds_a_judge_or_none() -> None:
    from activities.authors import make_judge
    from common.settings import Settings

    assert make_judge(Settings()) is None
    judge = make_judge(Settings(judge_model="openai:judge-x",
                                llm_base_url="http://127.0.0.1:9/v1"))
    assert judge is not None and judge.model_id == "openai:judge-x"
    with pytest.raises(ValueError, match="SKILL_FLEET_JUDGE_MODEL"):
        make_judge(Settings(judge_model="judge-x"))
