"""The SkillJob workflow: Understanding -> Generation -> Validation, with human checkpoints.

The main method is the state machine and the only place that acts; message
handlers only record what arrived. All state lives in one `JobState`. The workflow
owns its parts: `Checkpoints` (prompts and their answers), `PromotionWindow`,
`ViewPublisher` (memo and search attributes) and `WebhookOutbox`.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows import cancelled_run, job_metrics, lean_history, names, prompt_data, start_view
    from workflows.activity_options import AUTHOR_OPTIONS, FILE_OPTIONS, LOCAL_FILE_OPTIONS
    from workflows.checkpoints import Checkpoints, JobCancelled, Rewound
    from workflows.hitl import PROMOTION_RUNNING, refuse_if
    from workflows.models import (
        DeleteDraftInput,
        EventsPage,
        GenerateInput,
        HitlAck,
        HitlAction,
        HitlResponse,
        HitlType,
        JobEvent,
        JobInput,
        JobState,
        JobStatus,
        Phase,
        RewindAck,
        RewindRequest,
        SaveDraftInput,
        SaveDraftResult,
        SkillContent,
        SkillVersion,
        Understanding,
        UnderstandInput,
        ValidationReport,
        WebhookTarget,
    )
    from workflows.promotion import PromotionWindow
    from workflows.promotion_models import PromoteRequest, PromoteResult
    from workflows.publishing import ViewPublisher
    from workflows.refinement import Refinement
    from workflows.reviewer_edits import (
        apply_plan_edits,
        edit_plan,
        plan_diff,
        reviewer_version,
        shown,
    )
    from workflows.rewinding import rewind_state
    from workflows.version_store import VersionStore
    from workflows.wake_timer import WakeUpTimer
    from workflows.webhook_outbox import WebhookOutbox, webhook_input, webhook_targets

# Failed validation is refined automatically this many times before a human decides.
MAX_AUTO_REFINEMENTS = 1


@workflow.defn(name=names.WORKFLOW_TYPE)
class SkillJob:
    @workflow.init
    def __init__(self, job: JobInput) -> None:
        self._lean = lean_history.lean(job)  # first: a format-0 job's marker opens the history
        now = workflow.now()
        # The first task's clock: the input's start time, as the start memo shows it.
        self._first_task_at = job.created_at if start_view.started_published(job) else None
        self.state = JobState(
            job_id=job.job_id,
            task_description=job.task_description,
            user_id=job.user_id,
            created_at=job.created_at or now,
            updated_at=self._first_task_at or now,
            options=job,
        )
        self._understand_request = UnderstandInput(task_description=job.task_description)
        self._outbox = WebhookOutbox(webhook_targets(job),
                                     functools.partial(webhook_input, self.state),
                                     self._webhook_failed)
        self._view = ViewPublisher(self.state)
        self._versions = VersionStore(self.state)  # the versions' files: out of the state
        self._checkpoints = Checkpoints(self.state, self._record, self._view.publish)
        self._promotion = PromotionWindow(self.state, self._record, self._view.publish)
        if lean_history.by_input(job):  # one pending timer for all its deadlines
            self._checkpoints.timer = self._promotion.timer = WakeUpTimer()
        self._phase_clock = job_metrics.PhaseClock()
        self._refinement = Refinement(self.state, self._record, self._view.publish,
                                      self._new_version, self._verdict, self._view.held)

    # ------------------------------------------------------------------ the state machine

    @workflow.run
    async def run(self, job: JobInput) -> JobState:
        delivery = asyncio.create_task(self._outbox.run())
        self._record("job_started", task_description=job.task_description, user_id=job.user_id)
        if self._first_task_at is not None:  # the view the API started the job with
            self._progress(*start_view.FIRST_PROGRESS)
            self._first_task_at = None
        try:
            plan, content, report = await self._phases()
            await self._save(plan, content, report)
            await self._promotion.offer(plan)
        except JobCancelled as stop:
            await self._cancelled(str(stop))
        except asyncio.CancelledError:
            await self._cancelled("Cancelled by request.")
        except ActivityError as err:
            if is_cancelled_exception(err):
                await self._cancelled("Cancelled by request.")
            else:
                self._fail(err)
        self._view.publish_now()
        self._outbox.close()
        await delivery
        await workflow.wait_condition(workflow.all_handlers_finished)
        await cancelled_run.end_if_cancelled(self.state)  # a cancelled job's run: Canceled
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
        to = rewind_state(self.state, self._understand_request, request)
        edits = request.edits
        self._record("rewound", to=to.value, edits=edits.model_dump(exclude_none=True))
        self._checkpoints.rewind = None  # the rewind update replies now
        return to, edits.feedback if to is not Phase.UNDERSTANDING else None

    async def _understanding(self) -> Understanding:
        request = self._understand_request
        ask = self._checkpoints.ask
        while True:
            self._progress(*start_view.FIRST_PROGRESS)
            plan = await workflow.execute_activity(
                names.ACTIVITY_UNDERSTAND, request, result_type=Understanding,
                summary="Understand the task", **AUTHOR_OPTIONS,
            )
            self._refinement.count("understand", plan.usage)
            previous = self.state.understanding
            plan = apply_plan_edits(plan, self.state.plan_edits)
            self.state.last_diff = shown(plan_diff(previous, plan)) if previous else None
            self.state.understanding = plan  # skill_name and taxonomy path are derived
            self._record("phase_output", phase=Phase.UNDERSTANDING.value,
                         skill_name=plan.skill_name, taxonomy_path=plan.taxonomy_path)

            if plan.questions and request.allow_questions:
                answer = await ask(HitlType.CLARIFY, prompt_data.clarify(plan))
                self.state.clarifications.update(answer.answers or {})
                request.clarifications = dict(self.state.clarifications)
                request.allow_questions = False
                continue

            if plan.rule_issues:
                answer = await ask(HitlType.STRUCTURE_FIX, prompt_data.structure_fix(plan))
                request.skill_name, request.description = prompt_data.structure_choice(plan, answer)
                continue

            if self.state.options.enable_hitl_confirm:
                while True:  # a revise with edits only shows the edited plan again
                    answer = await ask(HitlType.CONFIRM,
                                       prompt_data.confirm(plan, self.state.last_diff))
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
        """Write a version (or keep the current one: a rewind to validation), validate it.

        A revise at preview or review, or one automatic refinement of a failed validation,
        writes the next version with its feedback.
        """
        auto_refinements = 0
        keep = start is Phase.VALIDATION and self._versions.content is not None
        while True:
            if keep:
                keep = False
                content = self._versions.content
                assert content is not None
                if feedback:
                    self._record("reviewer_note", note=feedback)
                refinable = False  # a version a human sent back is not rewritten unasked
            else:
                content = await self._generate(plan, feedback)
                edited = False
                if self.state.options.enable_hitl_preview:
                    content, edited, answer = await self._preview(content)
                    if answer.normalized_action() is HitlAction.REVISE:
                        feedback = answer.feedback
                        continue
                refinable = not edited  # nor is a reviewer's own version
            feedback = None

            report = await self._validate(plan, content)
            if refinable and self._refinement.refines(content):
                # The model revises from the findings (`workflows.refinement`), in place
                # of the one regeneration below.
                content, report = await self._refinement.run(plan, content, report)
                refinable = False
            if not report.passed and refinable and auto_refinements < MAX_AUTO_REFINEMENTS:
                auto_refinements += 1
                feedback = "Fix these validation findings: " + "; ".join(
                    report.errors + report.warnings
                )
                continue
            # A failed validation always stops for a human; a passed one only if opted in.
            if not report.passed or self.state.options.enable_hitl_review:
                answer = await self._checkpoints.ask(
                    HitlType.VALIDATE, prompt_data.review(self._versions.content, report),
                    validation_failed=not report.passed)
                if answer.normalized_action() is HitlAction.REVISE:
                    feedback = answer.feedback
                    continue
            return content, report

    async def _generate(self, plan: Understanding, feedback: str | None) -> SkillContent:
        self._progress(Phase.GENERATION, "Writing the skill", 40)
        content = await workflow.execute_activity(
            names.ACTIVITY_GENERATE,
            GenerateInput(task_description=self.state.task_description, plan=plan,
                          previous=self._versions.content, feedback=feedback),
            result_type=SkillContent, summary="Write SKILL.md", **AUTHOR_OPTIONS,
        )
        self._refinement.count("generate", content.usage)
        self._new_version(content, feedback)
        return content

    async def _preview(self, content: SkillContent) -> tuple[SkillContent, bool, HitlResponse]:
        """Show the new version: the version to validate, whether the reviewer wrote it,
        and the answer."""
        edited = False
        while True:  # a revise with edits only shows the reviewer's version again
            answer = await self._checkpoints.ask(
                HitlType.PREVIEW, prompt_data.preview(self.state, self._versions))
            content, edited = self._edit_content(content, answer, edited)
            if answer.normalized_action() is not HitlAction.REVISE or answer.feedback:
                return content, edited, answer

    async def _validate(self, plan: Understanding, content: SkillContent) -> ValidationReport:
        self._progress(Phase.VALIDATION, "Validating the skill", 75)
        report = await self._refinement.validate(plan, content, "Validate the skill")
        self._verdict(report)
        return report

    def _verdict(self, report: ValidationReport) -> None:
        """The job's verdict is this report's (passed, score and status are derived from it)."""
        self.state.validation = report
        self._record("validated", passed=report.passed, score=report.score,
                     errors=len(report.errors), warnings=len(report.warnings))

    async def _save(
        self, plan: Understanding, content: SkillContent, report: ValidationReport
    ) -> None:
        self._progress(Phase.SAVING, "Saving the draft", 90)
        request = SaveDraftInput(job_id=self.state.job_id, taxonomy_path=plan.taxonomy_path,
                                 content=content)
        if self._lean:  # in this workflow task, the view published once after it
            with self._view.held():
                saved = await workflow.execute_local_activity(
                    names.ACTIVITY_SAVE_DRAFT, request, result_type=SaveDraftResult,
                    summary="Save the draft", **LOCAL_FILE_OPTIONS)
                self._saved(plan, report, saved)
            return
        saved = await workflow.execute_activity(
            names.ACTIVITY_SAVE_DRAFT, request,
            result_type=SaveDraftResult, summary="Save the draft", **FILE_OPTIONS,
        )
        self._saved(plan, report, saved)

    def _saved(self, plan: Understanding, report: ValidationReport,
               saved: SaveDraftResult) -> None:
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
        self._view.publish()

    def _end(self, status: JobStatus, message: str, error: str | None = None) -> None:
        """The job ended: no prompt is pending, no phase is timed, the view says why."""
        self._phase_clock.stop()
        self._checkpoints.clear()
        self.state.status = status
        self.state.error = error
        self.state.progress_message = message

    async def _cancelled(self, reason: str) -> None:
        self._end(JobStatus.CANCELLED, reason)
        self._record("cancelled", reason=reason)
        self._view.publish()
        # The draft folder may be half written if the cancel hit the save.
        await workflow.execute_activity(
            names.ACTIVITY_DELETE_DRAFT, DeleteDraftInput(job_id=self.state.job_id),
            summary="Remove the draft", **FILE_OPTIONS,
        )
        self.state.draft_path = None

    def _fail(self, err: ActivityError) -> None:
        cause = err.cause
        message = str(cause) if cause else str(err)
        self._end(JobStatus.FAILED, f"Failed: {message}", message)
        self._record("failed", error=message)
        self._view.publish()

    # ------------------------------------------------------------------ messages (thin)

    @workflow.update(name=names.UPDATE_SUBMIT_HITL_RESPONSE)
    async def submit_hitl_response(self, response: HitlResponse) -> HitlAck:
        duplicate = self._checkpoints.take(response, source="update")
        if not duplicate:
            await self._checkpoints.applied(response)
        # The next prompt's id only: the prompt itself (with its report and files) is in the
        # memo written in the same workflow task, where the API reads it (issue 27).
        prompt = self.state.prompt
        return HitlAck(
            prompt_id=response.prompt_id,
            response_id=response.response_id,
            action=response.normalized_action() or HitlAction.PROCEED,
            status=self.state.status,
            duplicate=duplicate,
            next_prompt_id=prompt.prompt_id if prompt else None,
        )

    @submit_hitl_response.validator
    def _validate_hitl_response(self, response: HitlResponse) -> None:
        refuse_if(self._checkpoints.update_refusal(response))

    @workflow.signal(name=names.SIGNAL_HITL_RESPONSE)
    def hitl_response(self, response: HitlResponse) -> None:
        self._checkpoints.receive_signal(response)

    @workflow.update(name=names.UPDATE_REWIND)
    async def rewind(self, request: RewindRequest) -> RewindAck:
        await self._checkpoints.request_rewind(request)
        return RewindAck(to=Phase(request.to), status=self.state.status,
                         rewinds_used=self.state.revisions["rewind"])

    @rewind.validator
    def _validate_rewind(self, request: RewindRequest) -> None:
        refuse_if(self._checkpoints.rewind_refusal(request))

    @workflow.update(name=names.UPDATE_PROMOTE)
    async def promote(self, request: PromoteRequest) -> PromoteResult:
        # Two updates accepted in one activation both passed the validator.
        if self._promotion.request is not None:
            PROMOTION_RUNNING.refuse()
        return await self._promotion.requested(request)

    @promote.validator
    def _validate_promote(self, request: PromoteRequest) -> None:
        refuse_if(self._promotion.refusal(request))

    @workflow.query(name=names.QUERY_GET_EVENTS)
    def get_events(self, after: int) -> EventsPage:
        """Only what is new after `after`, so streaming cost does not grow with history."""
        events = self.state.events
        return EventsPage(events=events[max(after, 0):], last_seq=len(events),
                          terminal=self.state.status.is_terminal)

    @workflow.query(name=names.QUERY_GET_STATE)
    def get_state(self) -> JobState:
        return self.state

    @workflow.query(name=names.QUERY_GET_VERSION)
    def get_version(self, number: int) -> SkillVersion | None:
        """One version with its files and its diff (None: no such version); the state and
        the result list versions without their files."""
        return self._versions.get(number)

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
        self._view.publish()

    def _new_version(self, content: SkillContent, feedback: str | None) -> None:
        version = self._versions.add(content, feedback, workflow.now())
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

    def _record(self, kind: str, **data: Any) -> None:
        now = self._first_task_at or workflow.now()
        event = JobEvent(seq=len(self.state.events) + 1, at=now, kind=kind, data=data)
        self.state.events.append(event)
        self.state.updated_at = now
        self._outbox.push(event)

    def _webhook_failed(self, target: WebhookTarget, event: JobEvent, error: str) -> None:
        self._record("webhook_failed", event_seq=event.seq, target=target, error=error)
        self._view.publish()
