"""A stand-in for `JobGateway`: fixed answers, scripted failures, every call recorded.

Routes only see the gateway through `api.deps.get_gateway`, so swapping it tests the
API's own behaviour (validation, auth, error shapes, status codes) with no Temporal.
A call that never reached the fake is the proof that a refused request changed nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.job_gateway import JobGateway
from api.schemas import InboxItem, JobSummary
from tests.fast.api.samples import job_view
from workflows import models as wm
from workflows.promotion_models import PromoteRequest, PromoteResult


@dataclass
class Call:
    name: str
    args: dict[str, Any]


@dataclass
class FakeGateway(JobGateway):
    """JobGateway's async methods (same signatures) with fixed answers; `fail[name]` makes
    that method raise. A method it does not override is the real one, which has no client."""

    view_result: wm.JobView = field(default_factory=job_view)
    existing: set[str] = field(default_factory=set)
    active: int = 0
    is_healthy: bool = True
    # Visibility that has not caught up: started jobs are neither counted nor listed, and
    # every visibility call and start yields to the loop, as a real RPC would.
    visibility_lag: bool = False
    start_result: wm.JobView | None = None
    jobs_page: tuple[list[JobSummary], str | None] = ([], None)
    inbox_page: tuple[list[InboxItem], str | None] = ([], None)
    fail: dict[str, BaseException] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def _record(self, name: str, **args: Any) -> None:
        self.calls.append(Call(name, args))
        if name in self.fail:
            raise self.fail[name]

    def called(self, name: str) -> list[dict[str, Any]]:
        """The arguments of every call to `name`, in order."""
        return [c.args for c in self.calls if c.name == name]

    async def start(self, job: wm.JobInput, fingerprint: str | None = None) -> wm.JobView | None:
        await self._rpc()
        self._record("start", job=job, fingerprint=fingerprint)
        return self.start_result

    async def active_jobs(self, user_id: str) -> int:
        await self._rpc()
        self._record("active_jobs", user_id=user_id)
        return self.active

    async def listed(self, job_ids: Sequence[str]) -> set[str]:
        """Without lag, visibility lists every started job (and `active` counts it)."""
        await self._rpc()
        self._record("listed", job_ids=list(job_ids))
        return set() if self.visibility_lag else set(job_ids)

    async def _rpc(self) -> None:
        if self.visibility_lag:
            await asyncio.sleep(0)

    async def exists(self, job_id: str) -> bool:
        self._record("exists", job_id=job_id)
        return job_id in self.existing

    async def view(self, job_id: str, owner: str | None = None, *,
                   watched: bool = False) -> wm.JobView:
        self._record("view", job_id=job_id, owner=owner)
        return self.view_result

    async def view_json(self, job_id: str, owner: str | None = None) -> bytes:
        return (await self.view(job_id, owner)).model_dump_json().encode()

    async def list(self, *, status: wm.JobStatus | None, user_id: str | None,
                   phase: wm.Phase | None, page_size: int, page_token: str | None,
                   ) -> tuple[list[JobSummary], str | None]:
        self._record("list", status=status, user_id=user_id, phase=phase, page_size=page_size,
                     page_token=page_token)
        return self.jobs_page

    async def answer(self, job_id: str, response: wm.HitlResponse,
                     owner: str | None = None) -> wm.HitlAck:
        self._record("answer", job_id=job_id, response=response, owner=owner)
        return wm.HitlAck(prompt_id=response.prompt_id, response_id=response.response_id,
                       action=wm.HitlAction.PROCEED, status=wm.JobStatus.RUNNING)

    async def promote(self, job_id: str, request: PromoteRequest,
                      owner: str | None = None) -> PromoteResult:
        self._record("promote", job_id=job_id, request=request, owner=owner)
        return PromoteResult(job_id=job_id, final_path="development/x", taxonomy_path="dev")

    async def rewind(self, job_id: str, request: wm.RewindRequest,
                     owner: str | None = None) -> wm.RewindAck:
        self._record("rewind", job_id=job_id, request=request, owner=owner)
        return wm.RewindAck(to=wm.Phase(request.to), status=wm.JobStatus.RUNNING, rewinds_used=1)

    async def events(self, job_id: str, after: int, owner: str | None = None) -> wm.EventsPage:
        self._record("events", job_id=job_id, after=after, owner=owner)
        return wm.EventsPage(events=[], last_seq=after, terminal=False)

    async def fetch_events(self, job_id: str, after: int) -> wm.EventsPage:
        self._record("fetch_events", job_id=job_id, after=after)
        return wm.EventsPage(events=[], last_seq=after, terminal=True)

    async def follow(self, job_id: str) -> AsyncIterator[int]:
        self._record("follow", job_id=job_id)
        return
        yield  # an async generator that ends at once: the run closed

    async def pending_prompts(self, *, user_id: str | None, page_size: int,
                              page_token: str | None, assignee: str | None = None,
                              ) -> tuple[list[InboxItem], str | None]:
        self._record("pending_prompts", user_id=user_id, page_size=page_size,
                     page_token=page_token, assignee=assignee)
        return self.inbox_page

    async def cancel(self, job_id: str, owner: str | None = None) -> None:
        self._record("cancel", job_id=job_id, owner=owner)

    async def healthy(self) -> bool:
        self._record("healthy")
        return self.is_healthy
