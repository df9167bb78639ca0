"""Reads of a running job that send no describe while the job has not changed.

Fifty people refreshing a job once a second each sent a `describe` (~4 ms of the Temporal
server's CPU apiece), though a job waiting for a human does not change for minutes. So the
API process keeps the last describe of each job that clients read (`GET /jobs/{id}`, `GET
/hitl/{id}/prompt`) and follows the job's history with one long-poll (the server holds it
until new events exist, as for the event stream): a read is served from the kept describe
until the history shows a change the view is made of, and only then describes again.

What counts as a change (`changes_view`): a memo upsert, the run's end, and any event while
the kept describe is from before the first workflow task (a queued job). What this process
itself writes (an answer, a rewind, a promotion, a cancel) makes the next read describe
again, so a client reads its own writes; a write through another API process is seen once
Temporal pushes it (milliseconds). A closed run is not watched: its reads describe each time
(an operator may reset or delete it, which no history shows). A watch ends when its run
closes, when nobody read the job for `IDLE_SECONDS`, or when more jobs are watched than the
setting allows (the longest unread goes first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import timedelta

from prometheus_client import Counter
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.service import RPCError, RPCStatusCode

from api.history_follow import HISTORY_LONG_POLL_SECONDS, RUN_CLOSED_EVENTS
from api.view_cache import FIRST_TASK_EVENTS, CachedView

log = logging.getLogger(__name__)

WATCHED_READS = Counter(
    "skill_fleet_watched_reads",
    "Reads of a running job served from its watch, with no describe (api/job_watch.py).",
)
# A watch nobody read for this long stops at its next long-poll answer (~20 s at most).
IDLE_SECONDS = 60.0
# Jobs whose last write is remembered (older ones count as written just now: see `Writes`).
REMEMBERED_WRITES = 4096


def changes_view(event: HistoryEvent, known_events: int) -> bool:
    """The event makes a describe of `known_events` events read differently."""
    if event.event_id <= known_events:
        return False
    return (event.event_type == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED
            or event.event_type in RUN_CLOSED_EVENTS
            or known_events <= FIRST_TASK_EVENTS)


class Writes:
    """When each job last changed as far as this process knows, on one counter.

    A describe notes the counter before it is sent; what it returns may be served later
    only if no change of its job was noted meanwhile. Forgotten jobs answer with the
    newest forgotten mark, which errs on the side of describing again."""

    def __init__(self, remembered: int = REMEMBERED_WRITES) -> None:
        self._now = 0
        self._last: OrderedDict[str, int] = OrderedDict()
        self._forgotten = 0
        self._remembered = remembered

    def mark(self) -> int:
        return self._now

    def note(self, job_id: str) -> None:
        self._now += 1
        self._last[job_id] = self._now
        self._last.move_to_end(job_id)
        while len(self._last) > self._remembered:
            _, self._forgotten = self._last.popitem(last=False)

    def since(self, job_id: str, mark: int) -> bool:
        """A change of the job was noted after `mark`."""
        return self._last.get(job_id, self._forgotten) > mark


class _Watch:
    __slots__ = ("cached", "current", "desc", "last_read", "task")

    def __init__(self, desc: WorkflowExecutionDescription, cached: CachedView) -> None:
        self.desc = desc
        self.cached = cached
        self.current = True
        self.last_read = time.monotonic()
        self.task: asyncio.Task[None] | None = None

    @property
    def known_events(self) -> int:
        return self.desc.raw_description.workflow_execution_info.history_length


class JobWatches:
    """job id -> the last describe of a watched running job and whether it still holds."""

    def __init__(self, client: Client, size: int) -> None:
        self._client = client
        self._size = size
        self._watches: OrderedDict[str, _Watch] = OrderedDict()
        self._writes = Writes()

    def __len__(self) -> int:
        return len(self._watches)

    def mark(self) -> int:
        """Taken before a describe is sent, handed back to `keep` with its result."""
        return self._writes.mark()

    def current(self, job_id: str) -> tuple[WorkflowExecutionDescription, CachedView] | None:
        """The kept describe and view, if no change happened since it was taken."""
        watch = self._watches.get(job_id)
        if watch is None or not watch.current:
            return None
        watch.last_read = time.monotonic()
        self._watches.move_to_end(job_id)
        WATCHED_READS.inc()
        return watch.desc, watch.cached

    def keep(self, job_id: str, mark: int, desc: WorkflowExecutionDescription,
             cached: CachedView, *, start: bool) -> None:
        """Keep a fresh describe: for a job already watched, or a new watch if `start`."""
        watch = self._watches.get(job_id)
        if desc.status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
            if watch is not None:
                self._stop(job_id, watch)
            return
        if watch is not None and watch.desc.run_id != desc.run_id:  # reset: a new run
            self._stop(job_id, watch)
            watch = None
        if watch is None:
            if not start or not self._size:
                return
            watch = self._watches[job_id] = _Watch(desc, cached)
            watch.task = asyncio.create_task(self._follow(job_id, watch),
                                             name=f"watch {job_id}")
            while len(self._watches) > self._size:
                self._stop(*next(iter(self._watches.items())))
        elif desc.raw_description.workflow_execution_info.history_length < watch.known_events:
            return  # an older describe than the one kept
        watch.desc, watch.cached = desc, cached
        watch.current = not self._writes.since(job_id, mark)
        watch.last_read = time.monotonic()
        self._watches.move_to_end(job_id)

    def changed(self, job_id: str) -> None:
        """The job changed (this process wrote to it, or its history says so)."""
        self._writes.note(job_id)
        if (watch := self._watches.get(job_id)) is not None:
            watch.current = False

    async def close(self) -> None:
        tasks = [w.task for w in self._watches.values() if w.task is not None]
        for job_id, watch in list(self._watches.items()):
            self._stop(job_id, watch)
        await asyncio.gather(*tasks, return_exceptions=True)

    def _stop(self, job_id: str, watch: _Watch) -> None:
        if self._watches.get(job_id) is watch:
            del self._watches[job_id]
        watch.current = False
        if watch.task is not None and watch.task is not asyncio.current_task():
            watch.task.cancel()

    async def _follow(self, job_id: str, watch: _Watch) -> None:
        """Long-poll the watched run's history until it closes, idles or fails.

        Sent without the client's retries: while Temporal is unreachable the job cannot be
        read, and its reads must say so (503), not serve the describe kept from before."""
        request = GetWorkflowExecutionHistoryRequest(
            namespace=self._client.namespace,
            execution=WorkflowExecution(workflow_id=job_id, run_id=watch.desc.run_id),
            wait_new_event=True)
        try:
            while True:
                try:
                    page = await self._client.workflow_service.get_workflow_execution_history(
                        request, retry=False,
                        timeout=timedelta(seconds=HISTORY_LONG_POLL_SECONDS))
                except RPCError as err:
                    if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
                        continue
                    log.info("stopped watching job %s: %s", job_id, err,
                             extra={"job_id": job_id})
                    return
                except Exception:  # a watch may end; its reads then describe again
                    log.exception("stopped watching job %s", job_id, extra={"job_id": job_id})
                    return
                batch = page.history.events
                request.next_page_token = page.next_page_token
                closed = not page.next_page_token or any(
                    e.event_type in RUN_CLOSED_EVENTS for e in batch)
                if closed or any(changes_view(e, watch.known_events) for e in batch):
                    self.changed(job_id)
                if closed or time.monotonic() - watch.last_read > IDLE_SECONDS:
                    return
        finally:
            self._stop(job_id, watch)
