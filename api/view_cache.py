"""The job views this API process last read, keyed by the describe they came from.

A job's view is a pure function of its describe's memo and run status (`memo_job_view`,
`reconcile`; the redaction depends only on the process's settings). Of the readers that
describe a job (all but clients' reads of a watched running job, `api.job_watch`), only
the first pays for decoding the memo, joining its parts, validating the `JobView` and
serializing it: the others find the same memo bytes and status here and reuse the view
and its JSON. A job that changed has other memo bytes and misses.
"""

from __future__ import annotations

from collections import OrderedDict
from hashlib import blake2b

from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.client import WorkflowExecutionDescription

from workflows import memo_view, names
from workflows.models import JobStatus, JobView, Phase

# A run's events before its first workflow task completed: started, task scheduled, started.
FIRST_TASK_EVENTS = 3
# Jobs remembered per process (least recently read dropped first); a view is ~30 KB of JSON.
CACHED_JOBS = 256


class CachedView:
    """A job's view and, once asked for, its JSON (the body of `GET /jobs/{id}`)."""

    __slots__ = ("_json", "view")

    def __init__(self, view: JobView) -> None:
        self.view = view
        self._json: bytes | None = None

    def json(self) -> bytes:
        if self._json is None:
            self._json = self.view.model_dump_json().encode()
        return self._json


def describe_key(desc: WorkflowExecutionDescription) -> bytes:
    """A digest of what the view is derived from: the memo's payloads, the run status and
    whether a worker has run the job's first task."""
    info = desc.raw_description.workflow_execution_info
    digest = blake2b(info.memo.SerializeToString(deterministic=True), digest_size=16)
    digest.update(info.status.to_bytes(2, "big"))
    digest.update(b"q" if first_task_pending(desc) else b"r")
    return digest.digest()


def first_task_pending(desc: WorkflowExecutionDescription) -> bool:
    """No worker has completed the job's first workflow task yet.

    A job of the current history format starts with the view its first task will leave
    (`workflows.start_view`); until a worker ran that task it is only queued, and reads so:
    a job nobody works on must not look like one being understood."""
    info = desc.raw_description.workflow_execution_info
    return (info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
            and info.history_length <= FIRST_TASK_EVENTS)


# How a job no worker has taken yet reads, whatever its memo already holds.
QUEUED = {"status": JobStatus.PENDING, "current_phase": Phase.QUEUED,
          "progress_message": "Queued", "progress_percent": 0}


def queued(view: JobView) -> JobView:
    """The view of a job no worker has taken yet."""
    return view.model_copy(update=QUEUED)


class ViewCache:
    """job id -> (describe key, view); a miss is a job never read or changed since."""

    def __init__(self, size: int = CACHED_JOBS) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[bytes, CachedView]] = OrderedDict()

    def get(self, job_id: str, key: bytes) -> CachedView | None:
        entry = self._entries.get(job_id)
        if entry is None or entry[0] != key:
            return None
        self._entries.move_to_end(job_id)
        return entry[1]

    def put(self, job_id: str, key: bytes, view: JobView) -> CachedView:
        cached = CachedView(view)
        self._entries[job_id] = (key, cached)
        self._entries.move_to_end(job_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return cached


async def memo_job_view(desc: WorkflowExecutionDescription) -> JobView | None:
    """The job's published view: joined from its parts (`workflows.memo_view`), or, for jobs
    started before the split, one pass from the memo's JSON to the model; queued while no
    worker has run the job's first task."""
    memo = await desc.memo()
    if memo_view.is_split(memo):
        view = JobView.model_validate(memo_view.join_view(memo))
        return queued(view) if first_task_pending(desc) else view
    return await desc.memo_value(names.MEMO_VIEW, None, type_hint=JobView)
