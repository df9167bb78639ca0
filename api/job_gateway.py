"""The API's only door to Temporal: start, read, list, answer and cancel skill jobs.

Reads use `describe` and visibility (no worker needed); concurrent reads of one job share
one describe, and clients' reads of a running job that has not changed send none
(`api.job_reader`). Writes that need a worker are bounded by `rpc_timeout`, so
a missing worker is a quick 503. An answer is sent without a describe: the update's
validator checks that the caller owns the job. Followers (the event stream) long-poll the
job's history instead of polling it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.answer_delivery import deliver_answer
from api.errors import ApiError
from api.history_follow import follow_view_counts
from api.job_listing import decode_page_token, encode_page_token, inbox_item, job_summary
from api.job_reader import JobReader
from api.job_reads import ListSlots
from api.metrics import JOBS_CREATED
from api.refusal_status import (
    PROMOTE_REFUSAL_STATUS,
    REWIND_REFUSAL_STATUS,
    published_reason,
)
from api.schemas import InboxItem, JobSummary
from api.temporal_errors import job_missing, temporal_error, worker_timeout
from api.view_cache import CachedView
from common import search_attributes as sa
from common.settings import Settings
from workflows import names, start_view
from workflows.models import (
    EventsPage,
    HitlAck,
    HitlResponse,
    JobInput,
    JobStatus,
    JobView,
    Phase,
    RewindAck,
    RewindRequest,
    SkillVersion,
)
from workflows.promotion_models import PromoteRequest, PromoteResult

MEMO_FINGERPRINT = "request_sha256"
log = logging.getLogger("skill_fleet.api")


def parse_job_id(job_id: str) -> str:
    """Job ids are UUID4 strings; anything else cannot exist (404, not 500)."""
    try:
        parsed = uuid.UUID(job_id)
    except (ValueError, AttributeError, TypeError):
        raise ApiError(404, f"Job {job_id[:80]!r} not found.") from None
    if str(parsed) != job_id.lower() or parsed.version != 4:
        raise ApiError(404, f"Job {job_id[:80]!r} not found.")
    return str(parsed)


def _unavailable(err: RPCError) -> ApiError:
    """Unreachable, timed out, namespace misconfigured, ...: see `api.temporal_errors`."""
    return temporal_error(err)


def _refused(err: WorkflowUpdateFailedError, statuses: Mapping[str, int],
             fallback: str) -> ApiError:
    """A refused update as the API's error: a named refusal with its status and reason,
    anything else a 409 that says what failed."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in statuses:
        return ApiError(statuses[cause.type], cause.message,
                        reason=published_reason(cause.type))
    return ApiError(409, f"{fallback}: {cause or err}")


class JobGateway:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._timeout = timedelta(seconds=settings.rpc_timeout_seconds)
        self._reader = JobReader(client, settings)
        self._lists = ListSlots(settings.max_concurrent_lists, settings.rpc_timeout_seconds)

    def _handle(self, job_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(parse_job_id(job_id))

    async def start(self, job: JobInput, fingerprint: str | None = None) -> JobView | None:
        """Start the job. With a fingerprint (idempotent create) return the job as it is."""
        # A job of the current history format starts with its first view (`start_view`).
        memo: dict[str, Any] = {"task_description": job.task_description[:500],
                                **start_view.start_memo(job)}
        if fingerprint:
            memo[MEMO_FINGERPRINT] = fingerprint
        try:
            # FAIL, not USE_EXISTING, even for an idempotent create: the refusal is how
            # this call learns that it started nothing (the metric counts real starts).
            await self._client.start_workflow(
                names.WORKFLOW_TYPE,
                job,
                id=job.job_id,
                task_queue=self._settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=sa_initial(job),
                memo=memo,
                static_summary=f"Skill job for {job.user_id}: {job.task_description[:120]}",
                static_details=job.task_description,
                rpc_timeout=self._timeout,
            )
        except WorkflowAlreadyStartedError:
            if not fingerprint:
                raise
        except RPCError as err:
            raise _unavailable(err) from err
        else:
            JOBS_CREATED.inc()
            log.info("job started for user %s", job.user_id, extra={"job_id": job.job_id})
        if not fingerprint:
            return None
        desc, view = await self._describe(job.job_id, job.user_id)
        if (await desc.memo()).get(MEMO_FINGERPRINT) != fingerprint:
            raise ApiError(422, "This Idempotency-Key was used with a different request body.")
        return view

    async def active_jobs(self, user_id: str) -> int:
        """Jobs of a user that are not finished (visibility count; eventually consistent)."""
        active = ", ".join(f"'{s.value}'" for s in JobStatus if not s.is_terminal)
        query = (f"WorkflowType = '{names.WORKFLOW_TYPE}' AND {sa.USER.name} = '{user_id}' "
                 f"AND {sa.STATUS.name} IN ({active})")
        try:
            count = await self._client.count_workflows(query, rpc_timeout=self._timeout)
        except RPCError as err:
            raise _unavailable(err) from err
        return count.count

    async def listed(self, job_ids: Sequence[str]) -> set[str]:
        """Which of these jobs visibility lists already, in any status (`api.limits`)."""
        ids = ", ".join(f"'{parse_job_id(j)}'" for j in job_ids)
        iterator = self._client.list_workflows(f"WorkflowId IN ({ids})", page_size=len(job_ids),
                                               rpc_timeout=self._timeout)
        try:
            await iterator.fetch_next_page(page_size=len(job_ids))
        except RPCError as err:
            raise _unavailable(err) from err
        return {w.id for w in iterator.current_page or []}

    async def exists(self, job_id: str) -> bool:
        try:
            await self._reader.describe(parse_job_id(job_id))
        except RPCError as err:
            if job_missing(err):
                return False
            raise _unavailable(err) from err
        return True

    async def view(self, job_id: str, owner: str | None = None, *,
                   watched: bool = False) -> JobView:
        """The job's latest published view (`api.job_reader`). `watched`: a client's read,
        which may be served from the job's watch (`api.job_watch`)."""
        _, read = await self._read(job_id, owner, watched=watched)
        return read.view

    async def view_json(self, job_id: str, owner: str | None = None) -> bytes:
        """`view` as JSON (`GET /jobs/{id}`), serialized once per published view."""
        _, read = await self._read(job_id, owner, watched=True)
        return read.json()

    async def _describe(
        self, job_id: str, owner: str | None
    ) -> tuple[WorkflowExecutionDescription, JobView]:
        desc, read = await self._read(job_id, owner)
        return desc, read.view

    async def _read(self, job_id: str, owner: str | None, *,
                    watched: bool = False) -> tuple[WorkflowExecutionDescription, CachedView]:
        return await self._reader.read(parse_job_id(job_id), job_id, owner, watched=watched)

    def _wrote(self, handle: WorkflowHandle[Any, Any]) -> None:
        """This process changed the job: its next read describes it (`api.job_watch`)."""
        self._reader.watches.changed(handle.id)

    async def close(self) -> None:
        await self._reader.watches.close()

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
        page, next_token = await self._list_page(clauses, page_size, page_token)
        return [await job_summary(w) for w in page], next_token

    async def _list_page(
        self, clauses: list[str], page_size: int, page_token: str | None
    ) -> tuple[list[WorkflowExecution], str | None]:
        """One visibility call: a page of workflows and the token for the next one."""
        iterator = self._client.list_workflows(
            " AND ".join(clauses),
            page_size=page_size,
            next_page_token=decode_page_token(page_token) if page_token else None,
            rpc_timeout=self._timeout,
        )
        try:
            async with self._lists.held():
                await iterator.fetch_next_page(page_size=page_size)
        except RPCError as err:
            if err.status == RPCStatusCode.INVALID_ARGUMENT:
                raise ApiError(400, "Invalid page token or filter.") from err
            raise _unavailable(err) from err
        return list(iterator.current_page or []), encode_page_token(iterator.next_page_token)

    async def answer(self, job_id: str, response: HitlResponse,
                     owner: str | None = None) -> HitlAck:
        """Send the answer; no describe first (`api.answer_delivery`)."""
        handle = self._handle(job_id)
        try:
            return await deliver_answer(self, handle, job_id, response, owner,
                                        rpc_timeout=self._timeout)
        finally:
            self._wrote(handle)

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
            raise _refused(err, PROMOTE_REFUSAL_STATUS, "Promotion failed") from err
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as err:
            desc, view = await self._describe(job_id, owner)
            if desc.status != WorkflowExecutionStatus.RUNNING:  # it closed meanwhile
                raise ApiError(400, f"The job is {view.status.value}; it can no longer be "
                                    "promoted.") from err
            if isinstance(err, RPCError):
                raise _unavailable(err) from err
            raise ApiError(503, "No worker took the promotion in time; retry.") from err
        finally:
            self._wrote(handle)

    async def rewind(self, job_id: str, request: RewindRequest,
                     owner: str | None = None) -> RewindAck:
        handle = self._handle(job_id)
        await self.require_running(job_id, owner)
        try:
            return await handle.execute_update(
                names.UPDATE_REWIND, request, result_type=RewindAck, rpc_timeout=self._timeout,
            )
        except WorkflowUpdateFailedError as err:
            raise _refused(err, REWIND_REFUSAL_STATUS, "The rewind was not applied") from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            raise ApiError(503, "No worker took the rewind in time; retry.") from err
        except RPCError as err:
            raise _unavailable(err) from err
        finally:
            self._wrote(handle)

    async def events(self, job_id: str, after: int, owner: str | None = None) -> EventsPage:
        """New events after `after`, read with a query (needs a worker)."""
        handle = self._handle(job_id)
        await self._describe(job_id, owner)
        try:
            return await handle.query(names.QUERY_GET_EVENTS, after, result_type=EventsPage,
                                      rpc_timeout=self._timeout)
        except RPCError as err:
            raise await self._worker_timeout(err) from err

    async def fetch_events(self, job_id: str, after: int) -> EventsPage:
        """`events` without the describe: for a stream that has already checked ownership.

        The query returns only events with seq > `after`, so its cost follows what is
        new, not the length of the log.
        """
        try:
            return await self._handle(job_id).query(
                names.QUERY_GET_EVENTS, after, result_type=EventsPage,
                rpc_timeout=self._timeout,
            )
        except WorkflowQueryFailedError as err:
            raise ApiError(503, f"The events query failed: {err}") from err
        except RPCError as err:
            if job_missing(err):
                raise ApiError(404, f"Job {job_id} not found.") from err
            raise await self._worker_timeout(err) from err

    async def version(self, job_id: str, number: int,
                      owner: str | None = None) -> SkillVersion | None:
        """One version of the job's skill with its files, or None (the `get_version` query:
        needs a worker; the view's `versions` lists them without files)."""
        await self._describe(job_id, owner)
        try:
            return await self._handle(job_id).query(
                names.QUERY_GET_VERSION, number, result_type=SkillVersion | None,
                rpc_timeout=self._timeout)
        except WorkflowQueryFailedError as err:
            raise ApiError(503, f"The version query failed: {err}") from err
        except RPCError as err:
            raise await self._worker_timeout(err) from err

    async def _worker_timeout(self, err: RPCError) -> ApiError:
        return await worker_timeout(self._client, self._settings.temporal_namespace,
                                    self._settings.task_queue, err)

    async def follow(self, job_id: str) -> AsyncIterator[int]:
        """The view's `events_count` each time the workflow publishes it, until the run
        closes (`api.history_follow`). The caller has checked ownership."""
        async for count in follow_view_counts(self._client, self._handle(job_id), job_id):
            yield count

    async def pending_prompts(
        self, *, user_id: str | None, page_size: int, page_token: str | None,
        assignee: str | None = None,
    ) -> tuple[list[InboxItem], str | None]:
        """Prompts waiting for a human: one visibility list call per page, no per-job reads.

        SQL visibility (the dev server's SQLite, Postgres, MySQL) rejects ORDER BY
        ("operation is not supported: 'ORDER BY' clause") and returns running workflows
        newest-started first; so each page is sorted here, oldest prompt first.
        """
        clauses = [
            f"WorkflowType = '{names.WORKFLOW_TYPE}'",
            "ExecutionStatus = 'Running'",
            f"{sa.HITL_TYPE.name} IS NOT NULL",
        ]
        if user_id:
            clauses.append(f"{sa.USER.name} = '{user_id}'")
        if assignee:
            clauses.append(f"{sa.ASSIGNEE.name} = '{assignee}'")
        page, next_token = await self._list_page(clauses, page_size, page_token)
        items = [item for w in page if (item := await inbox_item(w))]
        items.sort(key=lambda i: (i.created_at, i.job_id))
        return items, next_token

    async def cancel(self, job_id: str, owner: str | None = None) -> None:
        handle = self._handle(job_id)
        await self.require_running(job_id, owner)
        try:
            await handle.cancel(rpc_timeout=self._timeout)
        except RPCError as err:
            if job_missing(err):
                raise ApiError(409, "The job has already finished.") from err
            raise _unavailable(err) from err
        finally:
            self._wrote(handle)

    async def require_running(self, job_id: str, owner: str | None, *,
                              allow_finished_job: bool = False) -> None:
        """The job exists for this owner (else 404) and its run is open (else 409)."""
        desc, view = await self._describe(job_id, owner)
        finished = view.status.is_terminal and not allow_finished_job
        if desc.status != WorkflowExecutionStatus.RUNNING or finished:
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
    return start_view.start_search_attributes(job)
