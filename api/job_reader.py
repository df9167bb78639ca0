"""Reading one job: its describe (shared by concurrent readers), its view (built once per
change) and, for the jobs clients keep reading, a watch that spares the describe while the
job has not changed (`api.job_watch`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle
from temporalio.service import RPCError

from api.errors import ApiError
from api.job_listing import reconcile
from api.job_reads import DESCRIBES, SingleFlight
from api.job_watch import JobWatches
from api.temporal_errors import job_missing, temporal_error
from api.view_cache import CachedView, ViewCache, describe_key, memo_job_view, queued
from common import search_attributes as sa
from common.settings import Settings
from workflows import names
from workflows.models import JobInput, JobView


class JobReader:
    """A job's describe and view; another owner's job and a missing one read alike (404)."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._timeout = timedelta(seconds=settings.rpc_timeout_seconds)
        self._describes: SingleFlight[WorkflowExecutionDescription] = SingleFlight()
        self._views = ViewCache()
        self.watches = JobWatches(client, settings.watched_jobs)

    async def describe(self, workflow_id: str) -> WorkflowExecutionDescription:
        """One describe of the job, shared with concurrent readers of it (`api.job_reads`)."""
        handle = self._client.get_workflow_handle(workflow_id)

        async def describe() -> WorkflowExecutionDescription:
            DESCRIBES.inc()
            return await handle.describe(rpc_timeout=self._timeout)

        return await self._describes.run(workflow_id, describe)

    async def read(self, workflow_id: str, job_id: str, owner: str | None, *,
                   watched: bool = False) -> tuple[WorkflowExecutionDescription, CachedView]:
        """The job's describe and view. `watched`: a client's read, served from the job's
        watch while the job has not changed, and starting a watch for a running job."""
        if watched and (kept := self.watches.current(workflow_id)) is not None:
            self._check(kept[0], job_id, owner)
            return kept
        mark = self.watches.mark()
        try:
            desc = await self.describe(workflow_id)
        except RPCError as err:
            if job_missing(err):
                raise ApiError(404, f"Job {job_id} not found.") from err
            raise temporal_error(err) from err
        self._check(desc, job_id, owner)
        key = describe_key(desc)
        if (cached := self._views.get(workflow_id, key)) is None:
            view = await memo_job_view(desc)
            if view is None:  # started, first workflow task not yet run: not kept
                view = await self._initial_view(self._client.get_workflow_handle(workflow_id))
                return desc, CachedView(reconcile(self.redact(view), desc.status))
            cached = self._views.put(workflow_id, key, reconcile(self.redact(view), desc.status))
        self.watches.keep(workflow_id, mark, desc, cached, start=watched)
        return desc, cached

    @staticmethod
    def _check(desc: WorkflowExecutionDescription, job_id: str, owner: str | None) -> None:
        if desc.workflow_type != names.WORKFLOW_TYPE or (
            owner is not None and desc.typed_search_attributes.get(sa.USER) != owner
        ):
            raise ApiError(404, f"Job {job_id} not found.")

    def redact(self, view: JobView) -> JobView:
        """Jobs started before the worker resolved the operator's webhook carry its URL."""
        operator = self._settings.webhook_url
        if not operator or view.options.webhook_url != operator:
            return view
        options = view.options.model_copy(update={"webhook_url": None,
                                                  "operator_webhook": True})
        return view.model_copy(update={"options": options})

    async def _initial_view(self, handle: WorkflowHandle[Any, Any]) -> JobView:
        """A job of an older API whose first task has not run: its view from its input."""
        async for event in handle.fetch_history_events(rpc_timeout=self._timeout):
            attrs = event.workflow_execution_started_event_attributes
            payloads = self._client.data_converter.payload_converter.from_payloads(
                attrs.input.payloads, [JobInput]
            )
            job: JobInput = payloads[0]
            created = event.event_time.ToDatetime().replace(tzinfo=job.created_at.tzinfo
                                                           if job.created_at else None)
            return queued(JobView(
                job_id=job.job_id, task_description=job.task_description, user_id=job.user_id,
                created_at=job.created_at or created, updated_at=job.created_at or created,
                options=job,
            ))
        raise ApiError(404, "Job not found.")
