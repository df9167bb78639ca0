"""`POST /skills/create?wait=S` at its edges: bounds, shape, slots, idempotent retries,
a run that closes, a wait that runs out and a follow that fails (the gateway stubbed).

The real hold, over HTTP against a real stack, is in tests/test_create_wait.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from api.errors import ApiError
from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, Api, bearer
from tests.fast.api.limits_support import install_limits
from tests.fast.api.samples import API, TASK, job_view, prompt
from workflows.models import JobStatus, JobView

CREATE = f"{API}/skills/create"
BODY = {"task_description": TASK, "user_id": "alice"}


@dataclass
class ScriptedGateway(FakeGateway):
    """`follow` yields once per view pushed with `publish` (which `view` then returns) and
    ends when `close` is called; with nothing pushed it waits, as a quiet job does."""

    follow_error: BaseException | None = None
    following: asyncio.Event = field(default_factory=asyncio.Event)
    _published: asyncio.Queue[JobView | None] = field(default_factory=asyncio.Queue)

    def publish(self, view: JobView) -> None:
        self._published.put_nowait(view)

    def close(self) -> None:
        self._published.put_nowait(None)

    async def follow(self, job_id: str) -> AsyncIterator[int]:
        self._record("follow", job_id=job_id)
        self.following.set()
        if self.follow_error is not None:
            raise self.follow_error
        count = 0
        while (view := await self._published.get()) is not None:
            self.view_result = view
            count += 1
            yield count


@pytest.fixture
def scripted(api: Api) -> ScriptedGateway:
    gateway = ScriptedGateway(view_result=job_view(status=JobStatus.RUNNING))
    api.use_fake(gateway)
    return gateway


@pytest.mark.parametrize("wait", ["-1", "-0.001", "60.001", "61", "nan", "inf", "-inf", "soon", ""])
async def test_a_bad_wait_is_422_and_starts_nothing(
    api: Api, gateway: FakeGateway, wait: str
) -> None:
    r = await api.http.post(CREATE, json=BODY, params={"wait": wait})
    body = validation_error(r, "wait")
    assert "wait" in body["error"]
    assert gateway.called("start") == []


async def test_without_wait_the_reply_is_unchanged(api: Api, scripted: ScriptedGateway) -> None:
    for params in ({}, {"wait": 0}, {"wait": "0.0"}):
        r = await api.http.post(CREATE, json=BODY, params=params)
        assert r.status_code == 202, r.text
        assert set(r.json()) == {"job_id", "status"} and r.json()["status"] == "pending"
    assert scripted.called("follow") == [] and scripted.called("view") == []


async def test_the_reply_waits_for_the_first_prompt(api: Api, scripted: ScriptedGateway) -> None:
    task = asyncio.create_task(api.http.post(CREATE, json=BODY, params={"wait": 60}))
    await asyncio.wait_for(scripted.following.wait(), 5)
    job_id = scripted.called("start")[0]["job"].job_id
    scripted.publish(job_view(job_id, status=JobStatus.RUNNING))  # progress, no prompt yet
    scripted.publish(job_view(job_id, status=JobStatus.PENDING_HITL, waiting=prompt(1)))
    r = await asyncio.wait_for(task, 5)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["job_id"] == job_id and body["status"] == "pending_hitl"
    assert body["prompt"]["prompt_id"] == 1 and body["prompt"]["type"] == "confirm"
    # one read per published view, each as the job's owner
    assert [v["owner"] for v in scripted.called("view")] == ["alice", "alice"]


async def test_a_job_that_ends_without_a_prompt_ends_the_wait(
    api: Api, scripted: ScriptedGateway
) -> None:
    task = asyncio.create_task(api.http.post(CREATE, json=BODY, params={"wait": 60}))
    await asyncio.wait_for(scripted.following.wait(), 5)
    scripted.publish(job_view(status=JobStatus.COMPLETED))
    body = (await asyncio.wait_for(task, 5)).json()
    assert body["status"] == "completed" and body["prompt"] is None


async def test_a_closed_run_is_read_once_more(api: Api, scripted: ScriptedGateway) -> None:
    """A run cancelled or terminated before any view shows it: the last read says so."""
    scripted.view_result = job_view(status=JobStatus.CANCELLED)
    scripted.close()
    r = await api.http.post(CREATE, json=BODY, params={"wait": 60})
    assert r.json()["status"] == "cancelled" and r.json()["prompt"] is None
    assert len(scripted.called("view")) == 1


async def test_a_wait_that_runs_out_replies_with_what_is_known(
    api: Api, scripted: ScriptedGateway
) -> None:
    r = await api.http.post(CREATE, json=BODY, params={"wait": 0.05})
    assert r.status_code == 202
    assert r.json()["status"] == "pending" and r.json()["prompt"] is None
    scripted.publish(job_view(status=JobStatus.RUNNING))
    r = await api.http.post(CREATE, json=BODY, params={"wait": 0.2})
    assert r.json()["status"] == "running" and r.json()["prompt"] is None


async def test_an_idempotent_retry_at_a_prompt_replies_at_once(
    api: Api, scripted: ScriptedGateway
) -> None:
    scripted.start_result = job_view(status=JobStatus.PENDING_HITL, waiting=prompt(3))
    r = await api.http.post(
        CREATE, json=BODY, params={"wait": 60}, headers={"Idempotency-Key": "k-wait"}
    )
    assert r.status_code == 202
    assert r.json()["status"] == "pending_hitl" and r.json()["prompt"]["prompt_id"] == 3
    assert scripted.called("follow") == []


async def test_an_idempotent_retry_of_a_working_job_waits(
    api: Api, scripted: ScriptedGateway
) -> None:
    scripted.start_result = job_view(status=JobStatus.RUNNING)
    scripted.publish(job_view(status=JobStatus.PENDING_HITL, waiting=prompt(1)))
    r = await api.http.post(
        CREATE, json=BODY, params={"wait": 60}, headers={"Idempotency-Key": "k-wait"}
    )
    assert r.json()["prompt"]["prompt_id"] == 1 and len(scripted.called("follow")) == 1


async def test_a_failing_follow_does_not_fail_the_create(
    api: Api, scripted: ScriptedGateway
) -> None:
    scripted.follow_error = ApiError(503, "Temporal is unreachable.")
    r = await api.http.post(CREATE, json=BODY, params={"wait": 30})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["prompt"] is None
    assert len(scripted.called("start")) == 1


async def test_waits_take_the_callers_slots(secured: Api, gateway: FakeGateway) -> None:
    """At the cap a waiting create is refused before it starts anything; one that does
    not wait is not capped; the slot comes back when the wait ends."""
    holding = ScriptedGateway(view_result=job_view(status=JobStatus.RUNNING))
    secured.use_fake(holding)
    limits = install_limits(secured, max_waits_per_user=1)

    def create(wait: float) -> asyncio.Task[httpx.Response]:
        return asyncio.create_task(
            secured.http.post(
                CREATE,
                json={"task_description": TASK},
                params={"wait": wait},
                headers=bearer(ALICE),
            )
        )

    held = create(60)
    await asyncio.wait_for(holding.following.wait(), 5)
    assert limits.waits.in_use("alice") == 1
    body = error_body(await create(60), 429)
    assert "replies held with ?wait (answers or creates)" in body["error"]
    assert len(holding.called("start")) == 1
    assert (await create(0)).status_code == 202
    holding.publish(job_view(status=JobStatus.PENDING_HITL, waiting=prompt(1)))
    assert (await asyncio.wait_for(held, 5)).json()["prompt"]["prompt_id"] == 1
    assert limits.waits.in_use("alice") == 0
