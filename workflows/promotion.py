"""The promotion window: after the job completes, its draft can be promoted from inside it.

Promotion runs in the workflow, so the job's state and the files stay in step. The
workflow owns one `PromotionWindow`; its main method calls `offer` once the draft is saved,
and the `promote` update hands a request over with `requested` and waits for the outcome.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import names
    from workflows.activity_options import FILE_OPTIONS
    from workflows.hitl import Refusal, promotion_refusal
    from workflows.job_part import JobPart
    from workflows.models import DeleteDraftInput, Understanding
    from workflows.promotion_models import PromoteInput, PromoteRequest, PromoteResult
    from workflows.wake_timer import WakeUpTimer

# A draft still unpromoted when the window closes is deleted.
PATCH_EXPIRE_DRAFT = "expire-unpromoted-draft"


class PromotionWindow(JobPart):
    """One job's promotion: `request` is what the update handed over, `outcome` its answer."""

    request: PromoteRequest | None = None
    outcome: PromoteResult | ApplicationError | None = None
    # The job's one pending timer (`workflows.wake_timer`); None: a timer of its own.
    timer: WakeUpTimer | None = None

    async def offer(self, plan: Understanding) -> None:
        """Stay open so promotion runs here, keeping the job's state and the files in step."""
        state = self._state
        window = timedelta(seconds=state.options.promotion_window_seconds)
        closes = workflow.now() + window
        while True:
            try:
                await self._requested_by(closes)
            except TimeoutError:
                # The job stays completed; only promotion is no longer offered.
                if workflow.patched(PATCH_EXPIRE_DRAFT):
                    await self._expire_draft()
                return
            except asyncio.CancelledError:
                return
            request = self.request
            assert request is not None
            try:
                result = await workflow.execute_activity(
                    names.ACTIVITY_PROMOTE_DRAFT,
                    PromoteInput(job_id=state.job_id, taxonomy_path=plan.taxonomy_path,
                                 skill_name=plan.skill_name, description=plan.description,
                                 overwrite=request.overwrite, delete_draft=request.delete_draft,
                                 owner=state.user_id, admin=request.admin),
                    result_type=PromoteResult, summary="Promote the draft", **FILE_OPTIONS,
                )
            except ActivityError as err:
                cause = err.cause
                self.outcome = (
                    cause if isinstance(cause, ApplicationError)
                    else ApplicationError(str(err), type="promotion_failed")
                )
                self.request = None
                continue
            except asyncio.CancelledError:
                return
            state.promoted = True
            state.final_path = result.final_path
            if request.delete_draft:
                state.draft_path = None
            self._record("promoted", final_path=result.final_path, forced=request.force)
            self._publish()
            self.outcome = result
            self.request = None

    async def _requested_by(self, closes: datetime) -> None:
        """Return once a promotion is requested; TimeoutError once the window closed."""
        if self.timer is None:
            await workflow.wait_condition(
                lambda: self.request is not None,
                timeout=max(closes - workflow.now(), timedelta(seconds=1)),
                timeout_summary="promotion window",
            )
        elif not await self.timer.wait(lambda: self.request is not None, closes,
                                       "promotion window", replace=True):
            raise TimeoutError("the promotion window closed")

    async def _expire_draft(self) -> None:
        """A draft never promoted within the window is deleted: nothing can use it now."""
        state = self._state
        if state.promoted or not state.draft_path:
            return
        await workflow.execute_activity(
            names.ACTIVITY_DELETE_DRAFT, DeleteDraftInput(job_id=state.job_id),
            summary="Remove the unpromoted draft", **FILE_OPTIONS,
        )
        state.draft_path = None
        self._record("draft_expired", reason="The promotion window closed; the draft "
                                             "was never promoted and is deleted.")
        self._publish()

    # ------------------------------------------------------------------ the handler's side

    def refusal(self, request: PromoteRequest) -> Refusal | None:
        """Why `request` cannot be promoted now, or None when it can."""
        return promotion_refusal(self._state, request, running=self.request is not None)

    async def requested(self, request: PromoteRequest) -> PromoteResult:
        """Hand `request` to `offer` and wait for its result; a refusal is raised."""
        self.request = request
        self.outcome = None
        await workflow.wait_condition(lambda: self.outcome is not None)
        outcome = self.outcome
        if isinstance(outcome, ApplicationError):
            raise outcome
        assert outcome is not None
        return outcome
