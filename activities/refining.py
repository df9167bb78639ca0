"""The refinement round and the rubric judge as activities (`workflows.refinement` runs them).

`refine_draft` is one round: the findings go to the model as a JSON list with the draft, and
its revision comes back. `judge_draft` adds the judge's part to a report; a judge that is
not configured, fails or times out returns the validator's report with a finding that says
so, never an error: the judge is optional, the validator's verdict stands. Both count the
tokens of their model calls (the job's state and the `skill_fleet_llm_tokens` metric).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import llm_usage
from activities.authoring import check_size, heartbeating
from activities.metrics import author_call, record_tokens
from activities.rubric import judged_report
from skill_format.models import Finding, SkillContent
from workflows.activity_models import Understanding
from workflows.names import ACTIVITY_JUDGE_DRAFT, ACTIVITY_REFINE_DRAFT
from workflows.refine_models import JUDGE_PART, JudgeInput, JudgeResult, RefineInput

if TYPE_CHECKING:
    # The judge's model library is imported only where a judge is made (activities.authors).
    from activities.rubric_judge import RubricJudge

log = logging.getLogger("skill_fleet.refining")


class Writer(Protocol):
    """An author that can answer a free prompt with a skill (the LLM author)."""

    model_id: str

    async def write(self, prompt: str, plan: Understanding, step: str) -> SkillContent: ...


def refine_prompt(request: RefineInput) -> str:
    """The round's prompt: the plan, the draft, and the findings as a structured list."""
    plan = request.plan.model_dump_json(
        indent=2, include={"skill_name", "description", "topics", "example_requests",
                           "near_misses", "outline", "success_criteria"})
    files = "\n\n".join(f"--- {path} ---\n{text}"
                        for path, text in sorted(request.draft.files.items()))
    findings = json.dumps([f.model_dump(exclude_defaults=True) for f in request.findings],
                          indent=1)
    return "\n\n".join([
        f"Task:\n{request.task_description.strip()}",
        f"Approved plan:\n{plan}",
        f"Your draft (refinement round {request.round}; the validator scored it "
        f"{request.score:.2f}, a skill passes at {request.pass_threshold:.2f}):\n"
        f"{request.draft.skill_md}\n{files}".rstrip(),
        "Validator findings (JSON list; `lines` are SKILL.md body lines, `words` the terms "
        f"it counted):\n{findings}",
        "Revise the draft so that every finding is fixed: replace steps that would fit any "
        "task with ones that name this task's commands, files, fields and tools; give worked "
        "examples with a real input and its exact output; keep what already works.",
    ])


class RefineActivities:
    def __init__(self, author: object, judge: RubricJudge | None = None) -> None:
        self._author = author
        self._judge = judge
        self._model = str(getattr(author, "model_id", "offline"))

    @activity.defn(name=ACTIVITY_REFINE_DRAFT)
    async def refine_draft(self, request: RefineInput) -> SkillContent:
        if not hasattr(self._author, "write"):
            raise ApplicationError("The offline author does not refine drafts.",
                                   type="RefineUnsupported", non_retryable=True)
        writer: Writer = self._author  # type: ignore[assignment]
        with llm_usage.counting() as usage:
            async with heartbeating(f"refining round {request.round}"), \
                    author_call("refine", self._model):
                content = await writer.write(refine_prompt(request), request.plan, "refine")
        record_tokens("refine", self._model, usage[0])
        content.author = "model"
        content.usage = usage[0]
        return check_size(content)

    @activity.defn(name=ACTIVITY_JUDGE_DRAFT)
    async def judge_draft(self, request: JudgeInput) -> JudgeResult:
        if self._judge is None:
            return _standing(request, "No rubric judge is configured on the worker "
                                      "(SKILL_FLEET_JUDGE_MODEL); the validator's score stands.")
        model = self._judge.model_id
        with llm_usage.counting() as usage:
            try:
                async with heartbeating("judging"), author_call("judge", model):
                    verdict = await self._judge.judge(request.skill_name,
                                                      request.task_description, request.content)
            except Exception as err:  # any failure: the validator's verdict stands
                kind = getattr(err, "type", None) or type(err).__name__
                log.warning("rubric judge %s failed: %s", model, kind)
                record_tokens("judge", model, usage[0])
                result = _standing(request, f"The rubric judge ({model}) failed ({kind}: "
                                            f"{str(err)[:200]}); the validator's score stands.")
                result.usage = usage[0]
                return result
        record_tokens("judge", model, usage[0])
        return JudgeResult(report=judged_report(request.report, verdict), judged=True,
                           usage=usage[0])


def _standing(request: JudgeInput, note: str) -> JudgeResult:
    """The validator's report, unchanged but for a finding that says why no judge scored."""
    report = request.report.model_copy(deep=True)
    report.findings = [f for f in report.findings if f.part != JUDGE_PART]
    report.findings.append(Finding(part=JUDGE_PART, message=note))
    return JudgeResult(report=report, judged=False, note=note)
