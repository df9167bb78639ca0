"""The SkillJob workflow: Understanding -> Generation -> Validation, with human checkpoints.

The main method is the state machine and the only place that acts; message
handlers only record what arrived. All state lives in one `JobState`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows import job_metrics, names, search_attributes as sa
    from workflows.hitl import (
        PHASE_OF,
        REVISABLE_TYPES,
        allowed_actions,
        answer_schema,
        check_response,
        waiting_status,
    )
    from workflows.models import (
        DeleteDraftInput,
        EventsPage,
        GenerateInput,
        HitlAck,
        HitlAction,
        HitlPrompt,
        HitlResponse,
        HitlType,
        JobEvent,
        JobInput,
        JobState,
        JobStatus,
        JobView,
        Phase,
        PromoteInput,
        PromoteRequest,
        PromoteResult,
        RewindAck,
        RewindRequest,
        SaveDraftInput,
        SaveDraftResult,
        SkillContent,
        SkillVersion,
        TimeoutAction,
        Understanding,
        UnderstandInput,
        ValidateInput,
        ValidationReport,
        WebhookInput,
        WebhookTarget,
    )
    from workflows.names import MEMO_VIEW
    from workflows.prompt_text import prompt_markdown, prompt_summary
    from workflows.reminders import nudges
    from workflows.reviewer_edits import (
        EDIT_FIELDS,
        apply_plan_edits,
        changes_shown,
        content_diff,
        edit_plan,
        merge_rewind_edits,
        plan_diff,
        reviewer_version,
        shown,
    )
    from workflows.webhook_outbox import WebhookOutbox

# Authoring calls a model: allow minutes, notice a dead worker within seconds.
AUTHOR_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=5),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=4,
    ),
}
FILE_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        maximum_interval=timedelta(seconds=10),
        maximum_attempts=10,
    ),
    # A cancelled save must have stopped writing before the draft is removed.
    "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}
# Failed validation is refined automatically this many times before a human decides.
MAX_AUTO_REFINEMENTS = 1
# Events also go to the operator's receiver, named in the job, resolved by the worker.
PATCH_OPERATOR_WEBHOOK = "operator-webhook-receiver"
# A structure_fix prompt's name pattern refuses a trailing newline (`hitl.answer_schema`).
PATCH_FULL_MATCH_NAMES = "full-match-skill-names"
# confirm and preview take direct edits (`workflows.reviewer_edits`) in their answer schema.
PATCH_REVIEWER_EDITS = "reviewer-edits"


class JobCancelled(Exception):
    """A human (or a timeout policy) ended the job at a checkpoint."""


class Rewound(Exception):
    """A human sent the job back to the start of an earlier phase."""

    def __init__(self, request: RewindRequest) -> None:
        super().__init__(request.to)
        self.request = request


@workflow.defn(name=names.WORKFLOW_TYPE)
class SkillJob:
    @workflow.init
    def __init__(self, job: JobInput) -> None:
        now = workflow.now()
        self.state = JobState(
            job_id=job.job_id,
            task_description=job.task_description,
            user_id=job.user_id,
            created_at=job.created_at or now,
            updated_at=now,
            options=job,
        )
        self._answer: HitlResponse | None = None
        self._rewind: RewindRequest | None = None
        self._understand_request = UnderstandInput(task_description=job.task_description)
        self._outbox = WebhookOutbox(_webhook_targets(job), self._webhook_input,
                                     self._webhook_failed)
        self._promotion: PromoteRequest | None = None
        self._promotion_outcome: PromoteResult | ApplicationError | None = None
        self._published: dict[str, Any] = {}
        self._published_view: dict[str, Any] = {}
        self._publish_scheduled = False
        self._phase_clock = job_metrics.PhaseClock()

    # ------------------------------------------------------------------ the state machine

    @workflow.run
    async def run(self, job: JobInput) -> JobState:
        delivery = asyncio.create_task(self._outbox.run())
        self._record("job_started", task_description=job.task_description, user_id=job.user_id)
        try:
            plan, content, report = await self._phases()
            await self._save(plan, content, report)
            await self._offer_promotion(plan)
        except JobCancelled as stop:
            await self._cancelled(str(stop))
        except asyncio.CancelledError:
            await self._cancelled("Cancelled by request.")
        except ActivityError as err:
            if is_cancelled_exception(err):
                await self._cancelled("Cancelled by request.")
            else:
                self._fail(err)
        self._publish_now()
        self._outbox.close()
        await delivery
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _phases(self) -> tuple[Understanding, SkillContent, ValidationReport]:
        """Understanding, then Generation and Validation; a rewind restarts a phase."""
        start = Phase.UNDERSTANDING
        feedback: str | None = None
        while True:
            try:
                if start is Phase.UNDERSTANDING:
                    await self._understanding()
                    start = Phase.GENERATION
                assert self.state.understanding is not None
                content, report = await self._generation_and_validation(
                    self.state.understanding, start, feedback)
                return self.state.understanding, content, report
            except Rewound as rewind:
                start, feedback = self._apply_rewind(rewind.request)

    def _apply_rewind(self, request: RewindRequest) -> tuple[Phase, str | None]:
        edits = request.edits
        to = Phase(request.to)
        self.state.validation = None
        self.state.validation_passed = None
        self.state.validation_status = None
        self.state.validation_score = None
        merge_rewind_edits(self.state.plan_edits, edits.model_dump(exclude_none=True))
        if to is Phase.UNDERSTANDING:
            req = self._understand_request
            req.skill_name = edits.skill_name or req.skill_name
            req.description = edits.description or req.description
            if edits.feedback:
                req.feedback.append(edits.feedback)
        elif to is Phase.GENERATION and self.state.understanding is not None:
            updates = {k: v for k, v in {"skill_name": edits.skill_name,
                                        "description": edits.description,
                                        "outline": edits.outline}.items() if v}
            plan = self.state.understanding.model_copy(update=updates)
            if edits.skill_name:
                category = plan.taxonomy_path.rpartition("/")[0] or plan.category or "general"
                plan.taxonomy_path = f"{category}/{edits.skill_name}"
            self.state.understanding = plan
            self.state.skill_name = plan.skill_name
            self.state.intended_taxonomy_path = plan.taxonomy_path
        self._record("rewound", to=to.value, edits=edits.model_dump(exclude_none=True))
        self._rewind = None
        return to, edits.feedback if to is not Phase.UNDERSTANDING else None

    async def _understanding(self) -> Understanding:
        request = self._understand_request
        while True:
            self._progress(Phase.UNDERSTANDING, "Understanding the task", 10)
            plan = await workflow.execute_activity(
                names.ACTIVITY_UNDERSTAND, request, result_type=Understanding,
                summary="Understand the task", **AUTHOR_OPTIONS,
            )
            previous = self.state.understanding
            plan = apply_plan_edits(plan, self.state.plan_edits)
            self.state.last_diff = shown(plan_diff(previous, plan)) if previous else None
            self.state.understanding = plan
            self.state.skill_name = plan.skill_name
            self.state.intended_taxonomy_path = plan.taxonomy_path
            self._record("phase_output", phase=Phase.UNDERSTANDING.value,
                         skill_name=plan.skill_name, taxonomy_path=plan.taxonomy_path)

            if plan.questions and request.allow_questions:
                answer = await self._ask(HitlType.CLARIFY, {
                    "questions": [q.model_dump() for q in plan.questions],
                    "ambiguities": plan.ambiguities,
                })
                self.state.clarifications.update(answer.answers or {})
                request.clarifications = dict(self.state.clarifications)
                request.allow_questions = False
                continue

            if plan.rule_issues:
                answer = await self._ask(HitlType.STRUCTURE_FIX, {
                    "issues": plan.rule_issues,
                    "warnings": [],
                    "suggested_fixes": [f.model_dump() for f in plan.suggested_fixes],
                    "current": {"skill_name": plan.skill_name, "description": plan.description},
                })
                request.skill_name, request.description = _structure_choice(plan, answer)
                continue

            if self.state.options.enable_hitl_confirm:
                while True:  # a revise with edits only shows the edited plan again
                    answer = await self._ask(HitlType.CONFIRM, self._confirm_data(plan))
                    plan = self._edit_plan(plan, answer)
                    if answer.normalized_action() is not HitlAction.REVISE or answer.feedback:
                        break
                if answer.normalized_action() is HitlAction.REVISE:
                    request.feedback.append(answer.feedback or "")
                    continue
            return plan

    async def _generation_and_validation(
        self, plan: Understanding, start: Phase, feedback: str | None
    ) -> tuple[SkillContent, ValidationReport]:
        auto_refinements = 0
        regenerate = start is not Phase.VALIDATION or self.state.content is None
        while True:
            if not regenerate:
                regenerate = True
                content = self.state.content
                assert content is not None
                if feedback:
                    self._record("reviewer_note", note=feedback)
                feedback = None
                report = await self._validate(plan, content)
                answer = await self._review(report) if self._needs_review(report) else None
                if answer and answer.normalized_action() is HitlAction.REVISE:
                    feedback = answer.feedback
                    continue
                return content, report
            self._progress(Phase.GENERATION, "Writing the skill", 40)
            content = await workflow.execute_activity(
                names.ACTIVITY_GENERATE,
                GenerateInput(task_description=self.state.task_description, plan=plan,
                              previous=self.state.content, feedback=feedback),
                result_type=SkillContent, summary="Write SKILL.md", **AUTHOR_OPTIONS,
            )
            self._new_version(content, feedback)
            feedback = None

            edited = False
            if self.state.options.enable_hitl_preview:
                while True:  # a revise with edits only shows the reviewer's version again
                    answer = await self._ask(HitlType.PREVIEW, self._preview_data())
                    content, edited = self._edit_content(content, answer, edited)
                    if answer.normalized_action() is not HitlAction.REVISE or answer.feedback:
                        break
                if answer.normalized_action() is HitlAction.REVISE:
                    feedback = answer.feedback
                    continue

            report = await self._validate(plan, content)
            # A reviewer's version is never rewritten by the author unasked.
            if not report.passed and not edited and auto_refinements < MAX_AUTO_REFINEMENTS:
                auto_refinements += 1
                feedback = "Fix these validation findings: " + "; ".join(
                    report.errors + report.warnings
                )
                continue
            if self._needs_review(report):
                answer = await self._review(report)
                if answer.normalized_action() is HitlAction.REVISE:
                    feedback = answer.feedback
                    continue
            return content, report

    async def _validate(self, plan: Understanding, content: SkillContent) -> ValidationReport:
        self._progress(Phase.VALIDATION, "Validating the skill", 75)
        report = await workflow.execute_activity(
            names.ACTIVITY_VALIDATE,
            ValidateInput(skill_name=plan.skill_name, content=content,
                          example_requests=plan.example_requests,
                          near_misses=plan.near_misses,
                          pass_threshold=self.state.options.pass_threshold),
            result_type=ValidationReport, summary="Validate the skill", **AUTHOR_OPTIONS,
        )
        self._set_validation(report)
        return report

    def _needs_review(self, report: ValidationReport) -> bool:
        """A failed validation always stops for a human; a passed one only if opted in."""
        return not report.passed or self.state.options.enable_hitl_review

    async def _review(self, report: ValidationReport) -> HitlResponse:
        notes = self.state.content.notes if self.state.content else []
        return await self._ask(HitlType.VALIDATE, {"report": report.model_dump(),
                                                   **({"author_notes": notes} if notes else {})},
                               validation_failed=not report.passed)

    async def _save(
        self, plan: Understanding, content: SkillContent, report: ValidationReport
    ) -> None:
        self._progress(Phase.SAVING, "Saving the draft", 90)
        saved = await workflow.execute_activity(
            names.ACTIVITY_SAVE_DRAFT,
            SaveDraftInput(job_id=self.state.job_id, taxonomy_path=plan.taxonomy_path,
                           content=content),
            result_type=SaveDraftResult, summary="Save the draft", **FILE_OPTIONS,
        )
        self.state.draft_path = saved.draft_path
        self.state.result = {
            "skill_name": plan.skill_name,
            "taxonomy_path": plan.taxonomy_path,
            "draft_path": saved.draft_path,
            "validation_passed": report.passed,
            "validation_score": report.score,
        }
        self.state.status = JobStatus.COMPLETED
        self._progress(Phase.DONE, "Completed", 100)
        # `completed` is the terminal event: the last one a live stream sees.
        self._record("completed", draft_path=saved.draft_path, validation_passed=report.passed)
        self._publish()

    async def _offer_promotion(self, plan: Understanding) -> None:
        """Stay open so promotion runs here, keeping the job's state and the files in step."""
        window = timedelta(seconds=self.state.options.promotion_window_seconds)
        closes = workflow.now() + window
        while True:
            try:
                await workflow.wait_condition(
                    lambda: self._promotion is not None,
                    timeout=max(closes - workflow.now(), timedelta(seconds=1)),
                    timeout_summary="promotion window",
                )
            except TimeoutError:
                # The job stays completed; only promotion is no longer offered.
                if workflow.patched("expire-unpromoted-draft"):
                    await self._expire_draft()
                return
            except asyncio.CancelledError:
                return
            request = self._promotion
            assert request is not None
            try:
                result = await workflow.execute_activity(
                    names.ACTIVITY_PROMOTE_DRAFT,
                    PromoteInput(job_id=self.state.job_id, taxonomy_path=plan.taxonomy_path,
                                 skill_name=plan.skill_name, description=plan.description,
                                 overwrite=request.overwrite, delete_draft=request.delete_draft,
                                 owner=self.state.user_id, admin=request.admin),
                    result_type=PromoteResult, summary="Promote the draft", **FILE_OPTIONS,
                )
            except ActivityError as err:
                cause = err.cause
                self._promotion_outcome = (
                    cause if isinstance(cause, ApplicationError)
                    else ApplicationError(str(err), type="promotion_failed")
                )
                self._promotion = None
                continue
            except asyncio.CancelledError:
                return
            self.state.promoted = True
            self.state.final_path = result.final_path
            if request.delete_draft:
                self.state.draft_path = None
            self._record("promoted", final_path=result.final_path, forced=request.force)
            self._publish()
            self._promotion_outcome = result
            self._promotion = None

    async def _expire_draft(self) -> None:
        """A draft never promoted within the window is deleted: nothing can use it now."""
        if self.state.promoted or not self.state.draft_path:
            return
        await workflow.execute_activity(
            names.ACTIVITY_DELETE_DRAFT, DeleteDraftInput(job_id=self.state.job_id),
            summary="Remove the unpromoted draft", **FILE_OPTIONS,
        )
        self.state.draft_path = None
        self._record("draft_expired", reason="The promotion window closed; the draft "
                                             "was never promoted and is deleted.")
        self._publish()

    # ------------------------------------------------------------------ checkpoints

    async def _ask(
        self, hitl_type: HitlType, data: dict[str, Any], *, validation_failed: bool = False
    ) -> HitlResponse:
        """Raise a prompt, wait for its answer or its deadline, and return the answer."""
        opts = self.state.options
        used = self.state.revisions.get(hitl_type.value, 0)
        left = max(0, opts.max_revisions - used) if hitl_type in REVISABLE_TYPES else 0
        actions = allowed_actions(hitl_type, revisions_left=left)
        now = workflow.now()
        self.state.last_prompt_id += 1
        prompt = HitlPrompt(
            prompt_id=self.state.last_prompt_id,
            type=hitl_type,
            phase=PHASE_OF[hitl_type],
            created_at=now,
            deadline=now + timedelta(seconds=opts.hitl_timeout_seconds),
            actions=actions,
            answer_schema=answer_schema(hitl_type, data, actions, full_match=(
                hitl_type is not HitlType.STRUCTURE_FIX
                or workflow.patched(PATCH_FULL_MATCH_NAMES)), edits=(
                hitl_type in EDIT_FIELDS and workflow.patched(PATCH_REVIEWER_EDITS))),
            revisions_used=used,
            revisions_left=left,
            assignee=self.state.user_id,
            data=data,
        )
        prompt.summary = prompt_summary(prompt)
        self.state.prompt = prompt
        self.state.hitl_type = hitl_type
        self.state.status = waiting_status(hitl_type, validation_failed=validation_failed)
        self.state.progress_message = f"Waiting for a human: {prompt.summary}"
        self._record("prompt_raised", prompt_id=prompt.prompt_id, type=hitl_type.value,
                     deadline=prompt.deadline.isoformat(), summary=prompt.summary)
        self._publish()
        workflow.set_current_details(prompt_markdown(prompt, self.state.job_id))

        try:
            answer = await self._wait_for_answer(prompt)
        except Rewound:
            job_metrics.record_wait(hitl_type.value, (workflow.now() - now).total_seconds(),
                                    "rewound")
            raise
        job_metrics.record_wait(hitl_type.value, (workflow.now() - now).total_seconds(),
                                "timed_out" if answer is None else "answered")
        if answer is None:
            self._record("prompt_timed_out", prompt_id=prompt.prompt_id,
                         timeout_action=opts.on_hitl_timeout.value)
            if opts.on_hitl_timeout is TimeoutAction.CANCEL:
                self._clear_prompt()
                raise JobCancelled(f"No answer to {hitl_type.value} before its deadline.")
            answer = _default_answer(prompt)
            self._record("answer_accepted", prompt_id=prompt.prompt_id, action="proceed",
                         response_id=None, source="timeout")

        self._clear_prompt()
        action = answer.normalized_action()
        if action is HitlAction.REVISE:
            self.state.revisions[hitl_type.value] = used + 1
        if action is HitlAction.CANCEL:
            raise JobCancelled(f"Cancelled by the user at {hitl_type.value}.")
        self.state.status = JobStatus.RUNNING
        self._publish()
        return answer

    async def _wait_for_answer(self, prompt: HitlPrompt) -> HitlResponse | None:
        """Wait for an answer, reminding and escalating on the way; None at the deadline."""
        opts = self.state.options
        schedule = nudges(prompt.created_at, prompt.deadline, opts.reminder_offsets_seconds,
                          opts.escalate_before_seconds)
        for nudge in schedule:
            if await self._answered_by(nudge.at, f"{prompt.type.value} {nudge.kind}"):
                break
            if nudge.kind == "reminder":
                prompt.reminders_sent += 1
                self._record("prompt_reminder", prompt_id=prompt.prompt_id,
                             type=prompt.type.value, deadline=prompt.deadline.isoformat(),
                             seconds_left=nudge.before_deadline_seconds)
            else:
                prompt.assignee = f"group:{opts.escalation_group}"
                self._record("prompt_escalated", prompt_id=prompt.prompt_id,
                             type=prompt.type.value, assignee=prompt.assignee,
                             seconds_left=nudge.before_deadline_seconds)
            self._publish()
        else:
            await self._answered_by(prompt.deadline, f"{prompt.type.value} deadline")
        if self._rewind is not None:
            self._clear_prompt()
            raise Rewound(self._rewind)
        return self._answer

    async def _answered_by(self, when: datetime, summary: str) -> bool:
        """True once an answer (or a rewind) arrived; False when `when` passed first."""
        try:
            await workflow.wait_condition(
                lambda: self._answer is not None or self._rewind is not None,
                timeout=max(when - workflow.now(), timedelta(milliseconds=1)),
                timeout_summary=summary,
            )
        except TimeoutError:
            return False
        return True

    def _clear_prompt(self) -> None:
        self._answer = None
        self.state.prompt = None
        self.state.hitl_type = None
        workflow.set_current_details("")

    # ------------------------------------------------------------------ messages (thin)

    @workflow.update(name=names.UPDATE_SUBMIT_HITL_RESPONSE)
    async def submit_hitl_response(self, response: HitlResponse) -> HitlAck:
        duplicate = self._take(response, source="update")
        if not duplicate:
            await workflow.wait_condition(lambda: self._answer is None)
            if response.wait_seconds > 0:
                await self._next_prompt_or_end(response.prompt_id, response.wait_seconds)
        return HitlAck(
            prompt_id=response.prompt_id,
            response_id=response.response_id,
            action=response.normalized_action() or HitlAction.PROCEED,
            status=self.state.status,
            duplicate=duplicate,
            prompt=self.state.prompt,
        )

    async def _next_prompt_or_end(self, answered: int, seconds: float) -> None:
        """Hold the reply until the answer led somewhere: the next prompt or the job's end.

        A client then gets the next prompt in the reply instead of polling for it.
        """
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self.state.last_prompt_id > answered or self.state.status.is_terminal,
                timeout=timedelta(seconds=seconds),
                timeout_summary=f"reply to the answer to prompt {answered}",
            )

    @submit_hitl_response.validator
    def _validate_hitl_response(self, response: HitlResponse) -> None:
        if self._is_duplicate(response):
            return
        if self.state.status.is_terminal:
            raise ApplicationError(f"The job has already finished ({self.state.status.value}).",
                                   type="nothing_pending", non_retryable=True)
        refusal = check_response(self.state.prompt, response,
                                 answer_pending=self._answer is not None)
        if refusal:
            raise ApplicationError(refusal.message, type=refusal.kind, non_retryable=True)

    @workflow.signal(name=names.SIGNAL_HITL_RESPONSE)
    def hitl_response(self, response: HitlResponse) -> None:
        if self._is_duplicate(response):
            return
        refusal = check_response(self.state.prompt, response,
                                 answer_pending=self._answer is not None)
        if refusal:
            self._record("answer_rejected", prompt_id=response.prompt_id,
                         response_id=response.response_id, reason=refusal.kind,
                         message=refusal.message, source="signal")
            self._publish()
            return
        self._take(response, source="signal")

    @workflow.update(name=names.UPDATE_REWIND)
    async def rewind(self, request: RewindRequest) -> RewindAck:
        self.state.revisions["rewind"] = self.state.revisions.get("rewind", 0) + 1
        self._rewind = request
        await workflow.wait_condition(lambda: self._rewind is None)
        return RewindAck(to=Phase(request.to), status=self.state.status,
                         rewinds_used=self.state.revisions["rewind"])

    @rewind.validator
    def _validate_rewind(self, request: RewindRequest) -> None:
        used = self.state.revisions.get("rewind", 0)
        refusal = None
        if self.state.prompt is None or self._answer is not None or self._rewind is not None:
            refusal = ("not_waiting", "Rewind is possible only while the job waits at a "
                                      "checkpoint.")
        elif used >= self.state.options.max_revisions:
            refusal = ("revision_limit", f"Rewind limit reached ({used} used); only proceed "
                                         "or cancel are accepted.")
        elif request.to != Phase.UNDERSTANDING.value and self.state.understanding is None:
            refusal = ("invalid_rewind", "There is no plan yet; rewind to understanding.")
        elif request.to == Phase.VALIDATION.value and self.state.content is None:
            refusal = ("invalid_rewind", "There is no skill yet; rewind to generation.")
        if refusal:
            raise ApplicationError(refusal[1], type=refusal[0], non_retryable=True)

    @workflow.update(name=names.UPDATE_PROMOTE)
    async def promote(self, request: PromoteRequest) -> PromoteResult:
        # Two updates accepted in one activation both passed the validator.
        if self._promotion is not None:
            raise ApplicationError("A promotion of this job is already running.",
                                   type="promotion_in_progress", non_retryable=True)
        self._promotion = request
        self._promotion_outcome = None
        await workflow.wait_condition(lambda: self._promotion_outcome is not None)
        outcome = self._promotion_outcome
        if isinstance(outcome, ApplicationError):
            raise outcome
        assert outcome is not None
        return outcome

    @promote.validator
    def _validate_promote(self, request: PromoteRequest) -> None:
        refusal = None
        if self.state.status is not JobStatus.COMPLETED:
            refusal = ("not_completed", f"The job is {self.state.status.value}, not completed.")
        elif not self.state.draft_path:
            refusal = ("no_draft", "The job has no draft to promote.")
        elif not self.state.validation_passed and not request.force:
            refusal = ("validation_failed",
                       "The skill did not pass validation; promote with force=true to accept it.")
        elif self._promotion is not None:
            refusal = ("promotion_in_progress", "A promotion of this job is already running.")
        if refusal:
            raise ApplicationError(refusal[1], type=refusal[0], non_retryable=True)

    @workflow.query(name=names.QUERY_GET_EVENTS)
    def get_events(self, after: int) -> EventsPage:
        """Only what is new after `after`, so streaming cost does not grow with history."""
        events = self.state.events
        return EventsPage(events=events[max(after, 0):], last_seq=len(events),
                          terminal=self.state.status.is_terminal)

    @workflow.query(name=names.QUERY_GET_STATE)
    def get_state(self) -> JobState:
        return self.state

    @workflow.query(name=names.QUERY_GET_PROMPT)
    def get_prompt(self) -> HitlPrompt | None:
        return self.state.prompt

    def _is_duplicate(self, response: HitlResponse) -> bool:
        return bool(response.response_id) and response.response_id in self.state.applied_responses

    def _take(self, response: HitlResponse, *, source: str) -> bool:
        """Record an accepted answer for the main method; True if it was a duplicate."""
        if self._is_duplicate(response):
            return True
        assert self.state.prompt is not None
        if response.response_id:
            self.state.applied_responses[response.response_id] = response.prompt_id
        self._answer = response
        self._record("answer_accepted", prompt_id=response.prompt_id,
                     action=(response.normalized_action() or HitlAction.PROCEED).value,
                     response_id=response.response_id, source=source,
                     type=self.state.prompt.type.value)
        return False

    # ------------------------------------------------------------------ state bookkeeping

    def _progress(self, phase: Phase, message: str, percent: int) -> None:
        if phase is not self.state.current_phase:
            self._record("phase_started", phase=phase.value)
            self._phase_clock.enter(phase.value)
        if not self.state.status.is_terminal:
            self.state.status = JobStatus.RUNNING
        self.state.current_phase = phase
        self.state.progress_message = message
        self.state.progress_percent = percent
        self._publish()

    def _new_version(self, content: SkillContent, feedback: str | None) -> None:
        version = len(self.state.versions) + 1
        diff = content_diff(self.state.content, content) if self.state.content else None
        self.state.content = content
        self.state.last_diff = shown(diff)
        self.state.versions.append(SkillVersion(
            version=version, created_at=workflow.now(), feedback=feedback, content=content,
            author=content.author, diff=diff,
        ))
        self._record("version_created", version=version, feedback=feedback,
                     **({"author": content.author} if content.author else {}))
        if content.notes:
            self._record("author_note", version=version, notes=content.notes)

    def _edit_plan(self, plan: Understanding, answer: HitlResponse) -> Understanding:
        """The plan with the edits of a confirm answer; later plans keep them too."""
        edited, event = edit_plan(self.state, plan, answer)
        if event:
            self._record("plan_edited", **event)
        return edited

    def _edit_content(self, content: SkillContent, answer: HitlResponse,
                      edited: bool) -> tuple[SkillContent, bool]:
        """A new version written by the reviewer, if the preview answer carries edits."""
        version = reviewer_version(self.state, content, answer)
        if version is None:
            return content, edited
        self._new_version(version, None)
        return version, True

    def _confirm_data(self, plan: Understanding) -> dict[str, Any]:
        return {"summary": _confirm_summary(plan), **changes_shown(self.state.last_diff,
                                                                   plan.notes)}

    def _set_validation(self, report: ValidationReport) -> None:
        self.state.validation = report
        self.state.validation_passed = report.passed
        self.state.validation_score = report.score
        self.state.validation_status = "passed" if report.passed else "failed"
        self._record("validated", passed=report.passed, score=report.score,
                     errors=len(report.errors), warnings=len(report.warnings))

    def _preview_data(self) -> dict[str, Any]:
        content = self.state.content
        assert content is not None
        previous = self.state.versions[-2].content if len(self.state.versions) > 1 else None
        return {
            "content": content.skill_md,
            "files": sorted(content.files),
            "highlights": [ln for ln in content.skill_md.splitlines() if ln.startswith("#")],
            "version": len(self.state.versions),
            "previous_content": previous.skill_md if previous else None,
            **({"diff": self.state.last_diff} if previous else {}),
            **({"author": content.author} if content.author else {}),
            **({"author_notes": content.notes} if content.notes else {}),
        }

    async def _cancelled(self, reason: str) -> None:
        self._phase_clock.stop()
        self._clear_prompt()
        self.state.status = JobStatus.CANCELLED
        self.state.error = None
        self.state.progress_message = reason
        self._record("cancelled", reason=reason)
        self._publish()
        # The draft folder may be half written if the cancel hit the save.
        await workflow.execute_activity(
            names.ACTIVITY_DELETE_DRAFT, DeleteDraftInput(job_id=self.state.job_id),
            summary="Remove the draft", **FILE_OPTIONS,
        )
        self.state.draft_path = None

    def _fail(self, err: ActivityError) -> None:
        cause = err.cause
        message = str(cause) if cause else str(err)
        self._phase_clock.stop()
        self._clear_prompt()
        self.state.status = JobStatus.FAILED
        self.state.error = message
        self.state.progress_message = f"Failed: {message}"
        self._record("failed", error=message)
        self._publish()

    def _record(self, kind: str, **data: Any) -> None:
        now = workflow.now()
        event = JobEvent(seq=len(self.state.events) + 1, at=now, kind=kind, data=data)
        self.state.events.append(event)
        self.state.updated_at = now
        self._outbox.push(event)

    def _webhook_input(self, target: WebhookTarget, event: JobEvent) -> WebhookInput:
        # The operator's receiver is named, not addressed: the worker knows its URL.
        url = (self.state.options.webhook_url or "") if target == "job" else ""
        return WebhookInput(target=target, url=url, job_id=self.state.job_id,
                            user_id=self.state.user_id, status=self.state.status,
                            phase=self.state.current_phase, event=event)

    def _webhook_failed(self, target: WebhookTarget, event: JobEvent, error: str) -> None:
        self._record("webhook_failed", event_seq=event.seq, target=target, error=error)
        self._publish()

    def _publish(self) -> None:
        """Publish the job's view once, at the end of this activation.

        State often changes several times in one activation (an answer taken, the phase
        moved on); one upsert with the final state saves history events and visibility
        writes (73 -> 66 events per benchmark job).
        """
        if not self._publish_scheduled:
            self._publish_scheduled = True
            asyncio.get_running_loop().call_soon(self._publish_now)

    def _publish_now(self) -> None:
        """Upsert the memo view and the search attributes that changed.

        Readers (API, lists, the Web UI) see the job through these, without a query.
        """
        self._publish_scheduled = False
        view = JobView.of(self.state).model_dump(mode="json")
        if view != self._published_view:
            self._published_view = view
            workflow.upsert_memo({MEMO_VIEW: view})
        prompt = self.state.prompt
        wanted: dict[str, Any] = {
            sa.STATUS.name: self.state.status.value,
            sa.PHASE.name: self.state.current_phase.value,
            sa.USER.name: self.state.user_id,
            sa.HITL_TYPE.name: prompt.type.value if prompt else None,
            sa.HITL_DEADLINE.name: prompt.deadline if prompt else None,
            sa.ASSIGNEE.name: prompt.assignee if prompt else None,
        }
        updates = []
        for key in sa.ALL:
            value = wanted[key.name]
            if self._published.get(key.name, ...) == value:
                continue
            self._published[key.name] = value
            if key.name == sa.STATUS.name:
                job_metrics.record_status(value)
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)


def _webhook_targets(job: JobInput) -> list[WebhookTarget]:
    """The operator's receiver if the deployment has one, and the job's own if it set one.

    Jobs started before `operator_webhook` existed carry at most a URL: one receiver, as
    then. The patch covers a job the new API started on a worker that did not know the
    operator's receiver yet: replayed on a new worker, it keeps the one receiver it had.
    """
    operator = job.operator_webhook and workflow.patched(PATCH_OPERATOR_WEBHOOK)
    targets: list[WebhookTarget] = ["operator"] if operator else []
    return [*targets, "job"] if job.webhook_url else targets


def _structure_choice(plan: Understanding, answer: HitlResponse) -> tuple[str, str]:
    suggested = {f.field: f.suggested for f in plan.suggested_fixes}
    if answer.accept_suggestions:
        name = suggested.get("skill_name", plan.skill_name)
        description = suggested.get("description", plan.description)
    else:
        name, description = plan.skill_name, plan.description
    return answer.skill_name or name, answer.description or description


def _confirm_summary(plan: Understanding) -> dict[str, Any]:
    return {
        "skill_name": plan.skill_name,
        "description": plan.description,
        "taxonomy_path": plan.taxonomy_path,
        "scope": plan.outline,
        "key_assumptions": plan.assumptions,
        "example_requests": plan.example_requests,
    }


def _default_answer(prompt: HitlPrompt) -> HitlResponse:
    """What `on_hitl_timeout=proceed` answers: defaults for questions, suggestions for fixes."""
    if prompt.type is HitlType.CLARIFY:
        answers: dict[str, Any] = {}
        for q in prompt.data.get("questions", []):
            options = q.get("options") or []
            if q.get("question_type") == "boolean":
                answers[q["id"]] = True
            elif options:
                first = options[0]["id"]
                answers[q["id"]] = [first] if q.get("question_type") == "multi" else first
            else:
                answers[q["id"]] = "No preference; use sensible defaults."
        return HitlResponse(prompt_id=prompt.prompt_id, action="proceed", answers=answers)
    if prompt.type is HitlType.STRUCTURE_FIX:
        return HitlResponse(prompt_id=prompt.prompt_id, action="proceed", accept_suggestions=True)
    return HitlResponse(prompt_id=prompt.prompt_id, action="proceed")
