"""How a job reads before its first workflow task: the API starts it already published.

The first workflow task of a job sets it running in the understanding phase (events
`job_started` and `phase_started`) and used to publish that: a memo upsert and a search
attribute upsert (2 events). A job of a history format with this (`lean_history.by_input`)
and a start time in its input is started by the API with that view as its memo (in the
compact parts of `workflows.memo_view`); its first task uses the input's start time as its
clock and its publisher starts from what the start wrote, so the first publish writes only
the search attributes (pending, queued -> running, understanding), 1 event. Until then the
API reads the job as queued (`api.view_cache.first_task_pending`): no worker has taken it.
The rule of what the first task does lives here, with the workflow, not in the API:
`SkillJob` takes the same steps (`FIRST_PROGRESS`).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from common import search_attributes as sa
    from workflows import lean_history, memo_view
    from workflows.models import JobEvent, JobInput, JobState, JobStatus, JobView, Phase

# `SkillJob._progress`'s arguments in the first task: the phase, its message, the percent.
FIRST_PROGRESS = (Phase.UNDERSTANDING, "Understanding the task", 10)


def started_published(job: JobInput) -> bool:
    """True for a job the API starts with its first view (`start_memo`)."""
    return lean_history.by_input(job) and job.created_at is not None


def first_state(job: JobInput) -> JobState:
    """The state the job's first workflow task leaves, at the input's start time."""
    at = job.created_at
    assert at is not None
    phase, message, percent = FIRST_PROGRESS
    return JobState(
        job_id=job.job_id, task_description=job.task_description, user_id=job.user_id,
        created_at=at, updated_at=at, options=job, status=JobStatus.RUNNING,
        current_phase=phase, progress_message=message, progress_percent=percent,
        events=[JobEvent(seq=1, at=at, kind="job_started",
                         data={"task_description": job.task_description,
                               "user_id": job.user_id}),
                JobEvent(seq=2, at=at, kind="phase_started", data={"phase": phase.value})])


def start_memo(job: JobInput) -> dict[str, Any]:
    """The memo parts the job starts with (none for a job that publishes its first view)."""
    if not started_published(job):
        return {}
    return memo_view.split_view(JobView.of(first_state(job)).model_dump(mode="json"),
                                compact=True)


def start_search_attributes(job: JobInput) -> TypedSearchAttributes:
    """The search attributes a job starts with: pending, queued, until a worker ran its first
    task (which upserts running: lists and their filters say whether a worker took the job)."""
    return TypedSearchAttributes([
        SearchAttributePair(sa.STATUS, JobStatus.PENDING.value),
        SearchAttributePair(sa.PHASE, Phase.QUEUED.value),
        SearchAttributePair(sa.USER, job.user_id),
    ])
