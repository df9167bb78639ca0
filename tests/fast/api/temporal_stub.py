"""A stand-in for Temporal's `Client` under the real `JobGateway`.

What the gateway itself decides (job-id parsing, ownership, page tokens, and which HTTP
status each Temporal failure becomes) is tested through it with no server: jobs live in
a dict, any operation can be made to raise, and every call is recorded, so a test can
prove that a malformed id or a forged token never reached Temporal at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionResponse,
    GetWorkflowExecutionHistoryRequest,
    GetWorkflowExecutionHistoryResponse,
)
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.job_gateway import MEMO_FINGERPRINT
from common import search_attributes as sa
from tests.fast.api.samples import NOW
from workflows import names
from workflows.models import (
    EventsPage,
    HitlAck,
    HitlAction,
    JobInput,
    JobStatus,
    JobView,
    Phase,
    RewindAck,
)
from workflows.promotion_models import PromoteResult


def rpc_error(status: RPCStatusCode, message: str = "stubbed") -> RPCError:
    return RPCError(message, status, b"")


UNREACHABLE = rpc_error(RPCStatusCode.UNAVAILABLE, "connection refused")
TIMED_OUT = rpc_error(RPCStatusCode.DEADLINE_EXCEEDED, "deadline exceeded")


@dataclass
class StubJob:
    view: JobView
    status: WorkflowExecutionStatus = WorkflowExecutionStatus.RUNNING
    workflow_type: str = names.WORKFLOW_TYPE
    fingerprint: str | None = None
    run_id: str = "run-1"
    events: int = 10  # the run's history length


class StubDescription:
    """The parts of `WorkflowExecutionDescription` the gateway reads."""

    def __init__(self, job: StubJob) -> None:
        self._job = job
        self.status = job.status
        self.run_id = job.run_id
        self.workflow_type = job.workflow_type
        self.typed_search_attributes = TypedSearchAttributes(
            [SearchAttributePair(sa.USER, job.view.user_id)])
        # What `api.view_cache` keys a view on: the run status and the memo (here the view).
        self.raw_description = DescribeWorkflowExecutionResponse()
        info = self.raw_description.workflow_execution_info
        info.status = int(job.status)
        info.history_length = job.events
        info.memo.fields[names.MEMO_VIEW].data = job.view.model_dump_json().encode()

    async def memo_value(self, key: str, default: Any = None, *, type_hint: Any = None) -> Any:
        return self._job.view if key == names.MEMO_VIEW else default

    async def memo(self) -> dict[str, Any]:
        return {MEMO_FINGERPRINT: self._job.fingerprint} if self._job.fingerprint else {}


@dataclass
class StubListing:
    """`list_workflows`'s iterator: one empty page and a fixed next token."""

    stub: StubTemporal
    next_page_token: bytes | None = None
    current_page: list[Any] | None = None

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        self.stub.hit("fetch_page")
        if self.stub.list_gate is not None:  # a slow visibility store: the list waits
            self.stub.list_entered.set()
            await self.stub.list_gate.wait()
        self.current_page = []
        self.next_page_token = self.stub.next_page_token


class StubHandle:
    def __init__(self, stub: StubTemporal, workflow_id: str) -> None:
        self._stub = stub
        self.id = workflow_id

    async def describe(self, *, rpc_timeout: Any = None) -> StubDescription:
        self._stub.hit("describe", self.id)
        job = self._stub.jobs.get(self.id)
        if job is None:
            raise rpc_error(RPCStatusCode.NOT_FOUND, f"workflow {self.id} not found")
        return StubDescription(job)

    async def execute_update(self, update: str, arg: Any, *, id: str | None = None,
                             result_type: Any = None, rpc_timeout: Any = None) -> Any:
        self._stub.hit("update", self.id, update, arg)
        job = self._stub.jobs.get(self.id)
        if job is None or job.status != WorkflowExecutionStatus.RUNNING:
            raise rpc_error(RPCStatusCode.NOT_FOUND, "workflow execution already completed"
                            if job else f"workflow {self.id} not found")
        if job.workflow_type != names.WORKFLOW_TYPE:  # the SDK refuses an unknown update
            raise WorkflowUpdateFailedError(ApplicationError(
                f"Update handler for {update!r} expected but not found", type="ApplicationError"))
        if update == names.UPDATE_SUBMIT_HITL_RESPONSE:
            caller = arg.caller  # the workflow's validator: only the owner or an admin
            if caller is not None and not caller.admin and caller.user_id != job.view.user_id:
                raise WorkflowUpdateFailedError(ApplicationError(
                    f"Job {self.id} not found.", type="not_found", non_retryable=True))
            return HitlAck(prompt_id=arg.prompt_id, response_id=arg.response_id,
                           action=HitlAction.PROCEED, status=JobStatus.RUNNING,
                           next_prompt_id=self._stub.next_prompt_id)
        if update == names.UPDATE_REWIND:
            return RewindAck(to=Phase(arg.to), status=JobStatus.RUNNING, rewinds_used=1)
        return PromoteResult(job_id=self.id, final_path="development/x", taxonomy_path="dev")

    async def start_update(self, update: str, arg: Any, *, id: str | None = None,
                           wait_for_stage: Any = None, result_type: Any = None,
                           rpc_timeout: Any = None) -> StubUpdate:
        """Accepted at once; its result comes at once too, unless `hold_updates`."""
        result = await self.execute_update(update, arg, id=id, result_type=result_type,
                                           rpc_timeout=rpc_timeout)
        return StubUpdate(result, self._stub.hold_updates)

    async def query(self, query: str, arg: Any, *, result_type: Any = None,
                    rpc_timeout: Any = None) -> EventsPage:
        self._stub.hit("query", self.id, query, arg)
        return EventsPage(events=[], last_seq=arg, terminal=False)

    async def cancel(self, *, rpc_timeout: Any = None) -> None:
        self._stub.hit("cancel", self.id)


@dataclass
class StubTimestamp:
    seconds: float

    def ToSeconds(self) -> float:  # protobuf's name
        return self.seconds


@dataclass
class StubPoller:
    last_access_time: StubTimestamp


@dataclass
class StubTaskQueue:
    pollers: list[StubPoller]


class StubService:
    def __init__(self, stub: StubTemporal) -> None:
        self._stub = stub

    async def get_workflow_execution_history(
            self, request: GetWorkflowExecutionHistoryRequest, **options: Any
    ) -> GetWorkflowExecutionHistoryResponse:
        """A history long-poll (`api.job_watch`): each page is a batch the test pushed with
        `StubTemporal.push`; no token once the run closed."""
        job_id = request.execution.workflow_id
        self._stub.hit("history", job_id)
        events, closed = await self._stub.batches(job_id).get()
        page = GetWorkflowExecutionHistoryResponse(next_page_token=b"" if closed else b"open")
        page.history.events.extend(events)
        return page

    async def get_system_info(self, request: Any, **options: Any) -> None:
        self._stub.hit("system_info")

    async def describe_task_queue(self, request: Any, **options: Any) -> StubTaskQueue:
        """Asked only to explain a timeout: which workers poll the job's queue."""
        self._stub.hit("describe_task_queue", request.task_queue.name)
        seen = self._stub.worker_seen_at
        return StubTaskQueue([] if seen is None else [StubPoller(StubTimestamp(seen))])


@dataclass
class StubCount:
    count: int


@dataclass
class StubUpdate:
    """An accepted update; `held`: its result never comes (the workflow is still busy)."""

    value: Any
    held: bool

    async def result(self, *, rpc_timeout: Any = None) -> Any:
        if self.held:
            await asyncio.Event().wait()
        return self.value


@dataclass
class StubTemporal:
    """Jobs by id, `fail[op]` raised by that operation, `calls` as (op, *args)."""

    jobs: dict[str, StubJob] = field(default_factory=dict)
    namespace: str = "default"
    fail: dict[str, BaseException] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    next_page_token: bytes | None = None
    active_count: int = 0
    worker_seen_at: float | None = None  # epoch seconds a worker last polled; None: never
    next_prompt_id: int | None = None  # what an answer's reply names as the next prompt
    hold_updates: bool = False  # an accepted update's result never comes (`?wait` runs out)
    list_gate: asyncio.Event | None = None  # set: visibility lists wait until it is set
    list_entered: asyncio.Event = field(default_factory=asyncio.Event)  # one reached the gate
    # Batches of new events per job, for history long-polls (`push`).
    history: dict[str, asyncio.Queue[tuple[list[HistoryEvent], bool]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self.workflow_service = StubService(self)

    def hit(self, op: str, *args: Any) -> None:
        self.calls.append((op, *args))
        if op in self.fail:
            raise self.fail[op]

    def ops(self) -> list[str]:
        return [c[0] for c in self.calls]

    def add(self, view: JobView, **job: Any) -> StubJob:
        self.jobs[view.job_id] = added = StubJob(view, **job)
        return added

    def get_workflow_handle(self, workflow_id: str) -> StubHandle:
        return StubHandle(self, workflow_id)

    def batches(self, workflow_id: str) -> asyncio.Queue[tuple[list[HistoryEvent], bool]]:
        return self.history.setdefault(workflow_id, asyncio.Queue())

    def push(self, job: StubJob, event_type: EventType, *, closed: bool = False) -> None:
        """A new event in the job's history, seen by a long-poll of it."""
        job.events += 1
        event = HistoryEvent(event_id=job.events, event_type=event_type)
        self.batches(job.view.job_id).put_nowait(([event], closed))

    async def start_workflow(self, workflow: str, arg: JobInput, *, id: str,
                             memo: dict[str, str] | None = None, **options: Any) -> None:
        """Like the FAIL conflict policy: a second start of the same id is refused."""
        self.hit("start", id)
        if id in self.jobs:
            raise WorkflowAlreadyStartedError(id, workflow)
        view = JobView(job_id=id, status=JobStatus.PENDING,
                       task_description=arg.task_description, user_id=arg.user_id,
                       current_phase=Phase.QUEUED, progress_message="Queued",
                       progress_percent=0, created_at=NOW, updated_at=NOW, options=arg)
        self.jobs[id] = StubJob(view, fingerprint=(memo or {}).get(MEMO_FINGERPRINT))

    async def count_workflows(self, query: str, *, rpc_timeout: Any = None) -> StubCount:
        self.hit("count", query)
        return StubCount(self.active_count)

    def list_workflows(self, query: str, *, page_size: int, next_page_token: bytes | None,
                       rpc_timeout: Any = None) -> StubListing:
        self.calls.append(("list", query, next_page_token))
        return StubListing(self)
