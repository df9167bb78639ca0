"""Drive a SkillJob the way the API does: same start options, update, signal and query names.

`Harness.start` mirrors `JobGateway.start` (id, search attributes, memo); `Job.answer` and
`Job.rewind` mirror `JobGateway.answer` / `JobGateway.rewind`. Waiting is polling with a
short interval and a bounded deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, CancelledError

from activities.authoring import Author, AuthoringActivities
from activities.drafts import DraftActivities
from activities.offline_author import OfflineAuthor
from activities.promotion import PromotionActivities
from activities.run_cancel import cancel_run
from activities.validation import validate_skill
from api.answer_delivery import update_id
from api.job_gateway import sa_initial
from api.view_cache import memo_job_view
from tests.skeleton import SKELETON_PASS_THRESHOLD
from workflows import names
from workflows.lean_history import HISTORY_FORMAT
from workflows.models import (
    EventsPage,
    HitlAck,
    HitlPrompt,
    HitlResponse,
    HitlType,
    JobEvent,
    JobInput,
    JobState,
    JobStatus,
    RewindAck,
    RewindEdits,
    RewindRequest,
    SkillVersion,
)
from workflows.start_view import start_memo

T = TypeVar("T")
# The signature of `start_harness`: activities in, a running worker's harness out.
StartHarness = Callable[[Sequence[Callable[..., Any]]], Awaitable["Harness"]]
RewindTarget = Literal["understanding", "generation", "validation"]
TASK = "Triage customer support tickets by urgency and route them to the right team"
# Generous for a loaded 2-core machine; a passing wait returns in milliseconds.
WAIT_SECONDS = 15.0


async def eventually(fetch: Callable[[], Awaitable[T]], until: Callable[[T], bool], what: str,
                     within: float = WAIT_SECONDS, interval: float = 0.02) -> T:
    """Poll `fetch` until `until` holds; fail with the last value after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await fetch()
        if until(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached in {within}s; last: {value!r:.800}")
        await asyncio.sleep(interval)


async def refusal(call: Awaitable[Any]) -> ApplicationError:
    """The workflow's refusal of an update (its validator's ApplicationError)."""
    try:
        result = await call
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError), err
        return err.cause
    raise AssertionError(f"the update was accepted: {result!r}")


@dataclass
class Harness:
    """A running worker on its own task queue, and where its activities write files."""

    client: Client
    task_queue: str
    skills_root: Path
    handles: list[WorkflowHandle[Any, Any]]

    async def start(self, task: str = TASK, **options: Any) -> Job:
        """Start a job with `JobGateway.start`'s options; `options` are JobInput fields.

        The offline author's skeleton passes validation here (`tests.skeleton`)."""
        options.setdefault("pass_threshold", SKELETON_PASS_THRESHOLD)
        options.setdefault("history_format", HISTORY_FORMAT)  # as the API writes them
        options.setdefault("created_at", datetime.now(UTC))
        job = JobInput(job_id=str(uuid.uuid4()), task_description=task, **options)
        handle = await self.client.start_workflow(
            names.WORKFLOW_TYPE,
            job,
            id=job.job_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=sa_initial(job),
            memo={"task_description": job.task_description[:500], **start_memo(job)},
            static_summary=f"Skill job for {job.user_id}: {job.task_description[:120]}",
            result_type=JobState,
        )
        self.handles.append(handle)
        return Job(handle, self.skills_root)


@dataclass
class Job:
    handle: WorkflowHandle[Any, JobState]
    skills_root: Path

    @property
    def id(self) -> str:
        return self.handle.id

    @property
    def drafts(self) -> Path:
        """The job's draft folder: `DraftActivities` writes everything of the job here."""
        return self.skills_root / "_drafts" / self.id

    # -- queries
    async def state(self) -> JobState:
        return await self.handle.query(names.QUERY_GET_STATE, result_type=JobState)

    async def version(self, number: int) -> SkillVersion:
        """One version with its files (the state lists versions without them)."""
        found = await self.handle.query(names.QUERY_GET_VERSION, number,
                                        result_type=SkillVersion | None)
        assert found is not None, f"the job has no version {number}"
        return found

    async def prompt(self) -> HitlPrompt | None:
        return (await self.state()).prompt

    async def events(self, after: int = 0) -> list[JobEvent]:
        page = await self.handle.query(names.QUERY_GET_EVENTS, after, result_type=EventsPage)
        return page.events

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.events()]

    # -- waiting
    async def result(self) -> JobState:
        """The final state once the run has closed: the run's result, or the state query
        for a cancelled job (its run ends Canceled, without a result)."""
        try:
            return await asyncio.wait_for(self.handle.result(), WAIT_SECONDS)
        except WorkflowFailureError as err:
            if not isinstance(err.cause, CancelledError):
                raise
        return await self.state()

    async def wait_prompt(self, hitl_type: HitlType, after: int = 0) -> HitlPrompt:
        """The pending prompt of `hitl_type` with an id above `after`; fails if the job ends."""

        async def fetch() -> tuple[HitlPrompt | None, JobState | None]:
            prompt = await self.prompt()
            return prompt, None if prompt else await self.state()

        prompt, state = await eventually(
            fetch,
            lambda v: (v[0] is not None and v[0].type is hitl_type and v[0].prompt_id > after)
            or (v[1] is not None and v[1].status.is_terminal),
            what=f"prompt {hitl_type.value}")
        assert prompt is not None, f"the job ended ({state and state.status}) without a prompt"
        return prompt

    async def wait_state(self, until: Callable[[JobState], bool], what: str) -> JobState:
        return await eventually(self.state, until, what)

    async def wait_status(self, *statuses: JobStatus) -> JobState:
        return await self.wait_state(lambda s: s.status in statuses,
                                     f"status in {[s.value for s in statuses]}")

    # -- messages
    async def answer(self, prompt_id: int, action: str = "proceed", *, wait: float = 0,
                     **fields: Any) -> HitlAck:
        """The update the API sends; `wait` holds the reply for the next prompt, like `?wait=`."""
        fields.setdefault("response_id", uuid.uuid4().hex)
        response = HitlResponse(prompt_id=prompt_id, action=action, wait_seconds=wait,
                                **fields)
        ack: HitlAck = await self.handle.execute_update(
            names.UPDATE_SUBMIT_HITL_RESPONSE, response,
            id=update_id(response), result_type=HitlAck)
        if ack.next_prompt_id is not None:  # as the API does: the prompt from the memo
            view = await memo_job_view(await self.handle.describe())
            assert view is not None and view.prompt is not None
            assert view.prompt.prompt_id == ack.next_prompt_id
            ack.prompt = view.prompt
        return ack

    async def signal_answer(self, prompt_id: int, action: str = "proceed", **fields: Any) -> None:
        """The signal path (fire and forget) that a refusal can only report as an event."""
        await self.handle.signal(names.SIGNAL_HITL_RESPONSE, HitlResponse(
            prompt_id=prompt_id, action=action, response_id=uuid.uuid4().hex, **fields))

    async def rewind(self, to: RewindTarget, **edits: Any) -> RewindAck:
        return await self.handle.execute_update(
            names.UPDATE_REWIND, RewindRequest(to=to, edits=RewindEdits(**edits)),
            result_type=RewindAck)


def real_activities(skills_root: Path, author: Author | None = None) -> list[Callable[..., Any]]:
    """The worker's own activities (as in `worker.build_worker`), the offline author by default."""
    authoring = AuthoringActivities(author or OfflineAuthor())
    drafts = DraftActivities(skills_root)
    promotion = PromotionActivities(skills_root)
    return [authoring.understand_task, authoring.generate_skill, validate_skill,
            drafts.save_draft, drafts.delete_draft, promotion.promote_draft, cancel_run]
