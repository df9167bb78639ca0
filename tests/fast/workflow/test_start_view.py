"""A job starts with the view its first workflow task leaves (`workflows.start_view`).

The API starts a job of the current history format with its first view as memo (the compact
parts), so its first task upserts only its search attributes (pending, queued -> running,
understanding). Read before any worker has run it, the job reads as queued through
`GET /jobs/{id}`'s read and in job lists (no worker has taken it); once a worker ran its
first task, the memo is still the one the job started with.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.client import WorkflowExecution

from api.job_gateway import JobGateway
from api.job_listing import job_summary
from common import search_attributes as sa
from common.settings import Settings
from tests.fast.workflow.jobs import TASK, Harness, eventually
from workflows import memo_view
from workflows.lean_history import HISTORY_FORMAT
from workflows.models import JobInput, JobStatus, JobView, Phase
from workflows.start_view import first_state


def _job(user: str = "alice") -> JobInput:
    return JobInput(job_id=str(uuid.uuid4()), task_description=TASK, user_id=user,
                    history_format=HISTORY_FORMAT, created_at=datetime.now(UTC))


async def _listed(harness: Harness, job_id: str) -> WorkflowExecution | None:
    async for w in harness.client.list_workflows(f"WorkflowId = '{job_id}'"):
        return w
    return None


async def test_a_job_no_worker_ran_yet_reads_as_queued(harness: Harness) -> None:
    # A task queue no worker polls: the job stays before its first workflow task.
    gateway = JobGateway(harness.client, Settings(task_queue=f"idle-{uuid.uuid4().hex}"))
    job = _job()
    await gateway.start(job)
    harness.handles.append(harness.client.get_workflow_handle(job.job_id))

    view = await gateway.view(job.job_id, owner="alice")
    first = JobView.of(first_state(job))
    queued = first.model_copy(update={"status": JobStatus.PENDING,
                                      "current_phase": Phase.QUEUED,
                                      "progress_message": "Queued", "progress_percent": 0})
    assert view.model_dump(mode="json") == queued.model_dump(mode="json")
    assert view.created_at == view.updated_at == job.created_at
    assert view.options == job and view.task_description == TASK

    listed = await eventually(lambda: _listed(harness, job.job_id), lambda w: w is not None,
                              "the job listed")
    assert listed is not None
    assert listed.typed_search_attributes.get(sa.STATUS) == JobStatus.PENDING.value
    assert listed.typed_search_attributes.get(sa.PHASE) == Phase.QUEUED.value
    summary = await job_summary(listed)
    assert (summary.status, summary.current_phase, summary.user_id) == (
        JobStatus.PENDING, Phase.QUEUED, "alice")
    assert summary.task_description == TASK and summary.progress_percent == 0
    memo = await listed.memo()
    assert memo["task_description"] == TASK  # the key older readers use
    assert memo_view.listed_view(memo)["job_id"] == job.job_id
    # The memo already holds the view the first task will leave.
    started = JobView.model_validate(memo_view.join_view(memo))
    assert started.model_dump(mode="json") == first.model_dump(mode="json")


async def test_the_first_task_runs_at_the_start_time(harness: Harness) -> None:
    """Its events carry the input's start time, so its view is the start memo's (the history
    test shows it publishes nothing: tests/fast/workflow/test_history_size.py)."""
    job = await harness.start()  # as the API starts it: format, start time, start memo
    state = await job.wait_state(lambda s: s.events_count >= 2, "the first task ran")
    created = state.options.created_at
    assert [(e.kind, e.at) for e in state.events[:2]] == [
        ("job_started", created), ("phase_started", created)]
    assert state.created_at == created
