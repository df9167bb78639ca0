"""The refinement loop and the rubric judge, inside the workflow (deterministic).

With a model writing the skill, a failing draft goes back to the model with the validator's
findings as a structured list, up to `JobInput.auto_refine_max` rounds, before a human sees
it. Each round is its own `refine_draft` activity, so a worker lost mid-loop resumes at the
round it was in; finished rounds are in the history and never run again. The loop keeps the
best draft: a revision becomes the next version only when its score rose, and the loop stops
at the first that did not (or when the draft passes). With `JobInput.judge`, each model
draft's report gets the rubric judge's part (`judge_draft`). Tokens of every model call are
added to `JobState.token_usage` (per call kind and `total`) and to each round.

New commands go behind `workflow.patched(PATCH_AUTO_REFINE)`: a history recorded before
replays the old path (the single automatic regeneration in `SkillJob`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows import lean_history, names
    from workflows.activity_models import (
        TokenUsage,
        ValidateInput,
        ValidationReport,
    )
    from workflows.activity_options import (
        AUTHOR_OPTIONS,
        JUDGE_OPTIONS,
        LOCAL_OPTIONS,
        REFINE_OPTIONS,
    )
    from workflows.job_part import JobPart
    from workflows.models import JobState, SkillContent, Understanding
    from workflows.refine_models import (
        JudgeInput,
        JudgeResult,
        RefineInput,
        RefineRound,
        findings_of,
    )

PATCH_AUTO_REFINE = "auto-refine"
MODEL_AUTHOR = "model"
TOTAL = "total"


class Refinement(JobPart):
    """One job's loop. The workflow hands it the callbacks that change its state."""

    def __init__(self, state: JobState, record: Callable[..., None],
                 publish: Callable[[], None],
                 new_version: Callable[[SkillContent, str | None], None],
                 verdict: Callable[[ValidationReport], None],
                 held: Callable[[], AbstractContextManager[None]] = nullcontext) -> None:
        super().__init__(state, record, publish)
        self._held = held
        self._new_version = new_version
        self._verdict = verdict

    # ------------------------------------------------------------------ costs

    def count(self, call: str, usage: TokenUsage | None) -> None:
        """Add a model call's tokens to the job's totals (nothing for the offline author)."""
        if usage is None or not usage.calls:
            return
        by_call = self._state.token_usage
        by_call[call] = by_call.get(call, TokenUsage()).plus(usage)
        by_call[TOTAL] = by_call.get(TOTAL, TokenUsage()).plus(usage)

    # ------------------------------------------------------------------ when

    def refines(self, content: SkillContent) -> bool:
        """A draft the model wrote, with rounds allowed (the offline author never refines)."""
        return (content.author == MODEL_AUTHOR and self._state.options.auto_refine_max > 0
                and workflow.patched(PATCH_AUTO_REFINE))

    def _judges(self, content: SkillContent) -> bool:
        return (content.author == MODEL_AUTHOR and self._state.options.judge
                and workflow.patched(PATCH_AUTO_REFINE))

    # ------------------------------------------------------------------ the judge

    async def judged(self, plan: Understanding, content: SkillContent,
                     report: ValidationReport, into: RefineRound | None = None
                     ) -> ValidationReport:
        """The report with the judge's part, or as it was (with a finding saying why)."""
        if not self._judges(content):
            return report
        result = await workflow.execute_activity(
            names.ACTIVITY_JUDGE_DRAFT,
            JudgeInput(skill_name=plan.skill_name, task_description=self._state.task_description,
                       content=content, report=report),
            result_type=JudgeResult, summary="Judge the skill against the rubric",
            **JUDGE_OPTIONS,
        )
        self.count("judge", result.usage)
        if into is not None:
            into.usage = into.usage.plus(result.usage)
        if not result.judged:
            self._record("judge_unavailable", note=result.note)
        return result.report

    # ------------------------------------------------------------------ the loop

    async def run(self, plan: Understanding, content: SkillContent,
                  report: ValidationReport) -> tuple[SkillContent, ValidationReport]:
        """Refine a failing model draft; the best draft and its report."""
        state = self._state
        limit = state.options.auto_refine_max
        best, best_report = content, report
        version = len(state.versions)
        for n in range(1, limit + 1):
            findings = findings_of(best_report)
            if best_report.passed or not findings:
                break
            this = RefineRound(round=n, version=version, score_before=best_report.score,
                               findings=len(findings))
            state.refine_rounds.append(this)
            state.progress_message = f"Refining the draft: round {n} of {limit}"
            self._record("refine_started", round=n, version=version, findings=len(findings),
                         score=best_report.score)
            self._publish()
            try:
                revised = await workflow.execute_activity(
                    names.ACTIVITY_REFINE_DRAFT,
                    RefineInput(task_description=state.task_description, plan=plan, draft=best,
                                findings=findings, round=n, score=best_report.score,
                                pass_threshold=state.options.pass_threshold),
                    result_type=SkillContent, summary=f"Refine the skill: round {n}",
                    **REFINE_OPTIONS,
                )
            except ActivityError as err:
                if is_cancelled_exception(err):
                    raise
                this.error = str(err.cause or err)
                self._record("refine_failed", round=n, error=this.error)
                break
            self.count("refine", revised.usage)
            this.usage = this.usage.plus(revised.usage)
            revised_report = await self.validate(
                plan, revised, "Validate the refined skill", into=this)
            this.score_after, this.passed = revised_report.score, revised_report.passed
            this.kept = revised_report.score > best_report.score
            self._record("refine_round", **this.model_dump(exclude={"usage", "error"}),
                         input_tokens=this.usage.input_tokens,
                         output_tokens=this.usage.output_tokens)
            if not this.kept:
                break  # the score stopped rising: the best draft stays
            self._new_version(revised, f"Refinement round {n}: {len(findings)} findings")
            best, best_report = revised, revised_report
            version = len(state.versions)
        if state.refine_rounds and best_report is not report:
            self._verdict(best_report)
        self._publish()
        return best, best_report

    async def validate(self, plan: Understanding, content: SkillContent, summary: str,
                       into: RefineRound | None = None) -> ValidationReport:
        """A draft's report (validator, then judge), without touching the job's verdict.

        A lean job (`workflows.lean_history`) runs the validator as a local activity: it is
        CPU on a draft in memory, and so shares the workflow task that asked for it."""
        request = ValidateInput(skill_name=plan.skill_name, content=content,
                                example_requests=plan.example_requests,
                                near_misses=plan.near_misses,
                                pass_threshold=self._state.options.pass_threshold)
        if lean_history.lean(self._state.options):
            with self._held():  # the view is published once, after it (not the judge)
                report = await workflow.execute_local_activity(
                    names.ACTIVITY_VALIDATE, request, result_type=ValidationReport,
                    summary=summary, **LOCAL_OPTIONS)
        else:
            report = await workflow.execute_activity(
                names.ACTIVITY_VALIDATE, request,
                result_type=ValidationReport, summary=summary, **AUTHOR_OPTIONS,
            )
        return await self.judged(plan, content, report, into)
