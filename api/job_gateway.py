"""The API's only door to Temporal: start, read, list, answer and cancel skill jobs.

Reads use `describe` and visibility (no worker needed); writes that need a
worker are bounded by `rpc_timeout`, so a missing worker is a quick 503.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import timedelta
from typing import Any

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.schemas import JobSummary
from common.settings import Settings
from workflows import names
from workflows import search_attributes as sa
from workflows.models import (
    EventsPage,
    HitlAck,
    HitlResponse,
    JobInput,
    JobStatus,
    JobView,
    Phase,
    PromoteRequest,
    PromoteResult,
)

PROMOTE_REFUSAL_STATUS = {
    "not_completed": 400,
    "no_draft": 400,
    "validation_failed": 400,
    "promotion_in_progress": 409,
    "TargetExists": 409,
    "UnsafePath": 422,
}
REFUSAL_STATUS = {
    "nothing_pending": 409,
    "stale_prompt": 409,
    "invalid_answer": 422,
    "revision_limit": 422,
}


def parse_job_id(job_id: str) -> str:
    """Job ids are UUID4 strings; anything else cannot exist (404, not 500)."""
    try:
        parsed = uuid.UUID(job_id)
    except (ValueError, AttributeError, TypeError):
        raise ApiError(404, f"Job {job_id[:80]!r} not found.") from None
    if str(parsed) != job_id.lower() or parsed.version != 4:
        raise ApiError(404, f"Job {job_id[:80]!r} not found.")
    return str(parsed)


def _unavailable(err: Exception) -> ApiError:
    return ApiError(503, f"Temporal is not reachable or did not answer in time: {err}")


class JobGateway:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._timeout = timedelta(seconds=settings.rpc_timeout_seconds)

    def _handle(self, job_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(parse_job_id(job_id))

    async def start(self, job: JobInput) -> None:
        try:
            await self._client.start_workflow(
                names.WORKFLOW_TYPE,
                job,
                id=job.job_id,
                task_queue=self._settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=sa_initial(job),
                memo={"task_description": job.task_description[:500]},
                static_summary=f"Skill job for {job.user_id}: {job.task_description[:120]}",
                static_details=job.task_description,
                rpc_timeout=self._timeout,
            )
        except RPCError as err:
            raise _unavailable(err) from err

    async def view(self, job_id: str, owner: str | None = None) -> JobView:
        """The job's latest published view, from one `describe` call."""
        _, view = await self._describe(job_id, owner)
        return view

    async def _describe(
        self, job_id: str, owner: str | None
    ) -> tuple[WorkflowExecutionDescription, JobView]:
        """Describe the job; another owner's job is 404 so ids do not leak."""
        handle = self._handle(job_id)
        try:
            desc = await handle.describe(rpc_timeout=self._timeout)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise ApiError(404, f"Job {job_id} not found.") from err
            raise _unavailable(err) from err
        if desc.workflow_type != names.WORKFLOW_TYPE or (
            owner is not None and desc.typed_search_attributes.get(sa.USER) != owner
        ):
            raise ApiError(404, f"Job {job_id} not found.")
        memo = await desc.memo()
        if names.MEMO_VIEW in memo:
            view = JobView.model_validate(memo[names.MEMO_VIEW])
        else:  # started, first workflow task not yet run
            view = await self._initial_view(handle)
        return desc, _reconcile(view, desc.status)

    async def _initial_view(self, handle: WorkflowHandle[Any, Any]) -> JobView:
        async for event in handle.fetch_history_events(rpc_timeout=self._timeout):
            attrs = event.workflow_execution_started_event_attributes
            payloads = self._client.data_converter.payload_converter.from_payloads(
                attrs.input.payloads, [JobInput]
            )
            job: JobInput = payloads[0]
            created = event.event_time.ToDatetime().replace(tzinfo=job.created_at.tzinfo
                                                           if job.created_at else None)
            return JobView(
                job_id=job.job_id, status=JobStatus.PENDING,
                task_description=job.task_description, user_id=job.user_id,
                current_phase=Phase.QUEUED, progress_message="Queued", progress_percent=0,
                created_at=job.created_at or created, updated_at=job.created_at or created,
                options=job,
            )
        raise ApiError(404, "Job not found.")

    async def list(
        self,
        *,
        status: JobStatus | None,
        user_id: str | None,
        phase: Phase | None,
        page_size: int,
        page_token: str | None,
    ) -> tuple[list[JobSummary], str | None]:
        clauses = [f"WorkflowType = '{names.WORKFLOW_TYPE}'"]
        if status:
            clauses.append(f"{sa.STATUS.name} = '{status.value}'")
        if user_id:
            clauses.append(f"{sa.USER.name} = '{user_id}'")
        if phase:
            clauses.append(f"{sa.PHASE.name} = '{phase.value}'")
        token = _decode_token(page_token) if page_token else None
        iterator = self._client.list_workflows(
            " AND ".join(clauses),
            page_size=page_size,
            next_page_token=token,
            rpc_timeout=self._timeout,
        )
        try:
            await iterator.fetch_next_page(page_size=page_size)
        except RPCError as err:
            if err.status == RPCStatusCode.INVALID_ARGUMENT:
                raise ApiError(400, "Invalid page token or filter.") from err
            raise _unavailable(err) from err
        jobs = [await _summary(w) for w in iterator.current_page or []]
        next_token = iterator.next_page_token
        return jobs, base64.urlsafe_b64encode(next_token).decode() if next_token else None

    async def answer(self, job_id: str, response: HitlResponse,
                     owner: str | None = None) -> HitlAck:
        handle = self._handle(job_id)
        await self._require_running(job_id, owner)
        try:
            return await handle.execute_update(
                names.UPDATE_SUBMIT_HITL_RESPONSE,
                response,
                id=f"answer-{response.response_id}",
                result_type=HitlAck,
                rpc_timeout=self._timeout,
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type in REFUSAL_STATUS:
                raise ApiError(REFUSAL_STATUS[cause.type], cause.message,
                               reason=cause.type) from err
            raise ApiError(409, f"The answer was not applied: {cause or err}") from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            raise ApiError(
                503,
                "No worker took the answer in time. It may still be applied; retry with the "
                "same response_id to be safe.",
                response_id=response.response_id,
            ) from err
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise ApiError(409, "The job has already finished.") from err
            raise _unavailable(err) from err

    async def promote(self, job_id: str, request: PromoteRequest,
                      owner: str | None = None) -> PromoteResult:
        handle = self._handle(job_id)
        desc, view = await self._describe(job_id, owner)
        if desc.status != WorkflowExecutionStatus.RUNNING:
            if view.status is JobStatus.COMPLETED and view.promoted:
                raise ApiError(409, "The promotion window of this job has closed; it was "
                                    f"promoted to {view.final_path}.")
            raise ApiError(400, f"The job is {view.status.value}; only a completed job with "
                                "an open promotion window can be promoted.")
        try:
            return await handle.execute_update(
                names.UPDATE_PROMOTE, request, result_type=PromoteResult,
                rpc_timeout=self._timeout,
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type in PROMOTE_REFUSAL_STATUS:
                raise ApiError(PROMOTE_REFUSAL_STATUS[cause.type], cause.message,
                               reason=cause.type) from err
            raise ApiError(409, f"Promotion failed: {cause or err}") from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            raise ApiError(503, "No worker took the promotion in time; retry.") from err
        except RPCError as err:
            raise _unavailable(err) from err

    async def events(self, job_id: str, after: int, owner: str | None = None) -> EventsPage:
        """New events after `after`, read with a query (needs a worker)."""
        handle = self._handle(job_id)
        await self._describe(job_id, owner)
        try:
            return await handle.query(names.QUERY_GET_EVENTS, after, result_type=EventsPage,
                                      rpc_timeout=self._timeout)
        except RPCError as err:
            raise _unavailable(err) from err

    async def cancel(self, job_id: str, owner: str | None = None) -> None:
        handle = self._handle(job_id)
        await self._require_running(job_id, owner)
        try:
            await handle.cancel(rpc_timeout=self._timeout)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise ApiError(409, "The job has already finished.") from err
            raise _unavailable(err) from err

    async def _require_running(self, job_id: str, owner: str | None) -> None:
        desc, view = await self._describe(job_id, owner)
        if desc.status != WorkflowExecutionStatus.RUNNING or view.status.is_terminal:
            raise ApiError(409, f"The job has already finished ({view.status.value}).")

    async def healthy(self) -> bool:
        try:
            await self._client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=self._timeout
            )
        except RPCError:
            return False
        return True


def sa_initial(job: JobInput) -> TypedSearchAttributes:
    return TypedSearchAttributes([
        SearchAttributePair(sa.STATUS, JobStatus.PENDING.value),
        SearchAttributePair(sa.PHASE, Phase.QUEUED.value),
        SearchAttributePair(sa.USER, job.user_id),
    ])


def _decode_token(token: str) -> bytes:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "Invalid page token.") from None


def _reconcile(view: JobView, status: WorkflowExecutionStatus | None) -> JobView:
    """A workflow ended outside our control (terminated, timed out) still reads truthfully."""
    if status in (None, WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
        return view
    if view.status.is_terminal:
        return view
    ended = {
        WorkflowExecutionStatus.CANCELED: JobStatus.CANCELLED,
        WorkflowExecutionStatus.TERMINATED: JobStatus.CANCELLED,
    }.get(status, JobStatus.FAILED)
    return view.model_copy(update={
        "status": ended, "prompt": None, "hitl_type": None, "hitl_data": None,
        "error": view.error or f"Workflow ended as {status.name.lower()} outside the job.",
    })


async def _summary(w: WorkflowExecution) -> JobSummary:
    attrs = w.typed_search_attributes
    memo = await w.memo()
    view = memo.get(names.MEMO_VIEW) or {}
    status = attrs.get(sa.STATUS)
    phase = attrs.get(sa.PHASE)
    return JobSummary(
        job_id=w.id,
        status=JobStatus(status) if status else None,
        current_phase=Phase(phase) if phase else None,
        user_id=attrs.get(sa.USER),
        hitl_type=attrs.get(sa.HITL_TYPE),
        task_description=view.get("task_description") or memo.get("task_description"),
        progress_percent=view.get("progress_percent"),
        created_at=w.start_time.isoformat() if w.start_time else None,
        updated_at=view.get("updated_at")
        or (w.close_time.isoformat() if w.close_time else None),
    )
