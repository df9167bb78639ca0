"""Cheaper reads (issue 27): an answer is one update, no describe before it; concurrent reads
of one job share one describe.

Through the real gateway over the Temporal stub, whose update refuses another user's
answer as the workflow's validator does (`tests/fast/workflow/test_answers.py` proves the
validator itself on the dev server, `tests/test_access.py` the whole path).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError

from api.answer_delivery import OLD_WORKER_REFUSAL, update_id
from api.job_gateway import JobGateway
from api.job_reads import DESCRIBES, SingleFlight
from common.settings import Settings
from tests.fast.api.checks import error_body
from tests.fast.api.harness import ADMIN, ALICE, BOB, Api, bearer
from tests.fast.api.samples import API, job_view, prompt
from tests.fast.api.temporal_stub import StubDescription, StubHandle, StubTemporal
from workflows.models import AnswerCaller, HitlResponse, HitlType, JobStatus

ANSWER = {"prompt_id": 1, "action": "proceed"}


def _describes() -> float:
    return DESCRIBES._value.get()  # the process's counter, read before and after


@pytest.fixture
def alices_job(temporal: StubTemporal) -> str:
    return temporal.add(job_view(user_id="alice")).view.job_id


def _sent(temporal: StubTemporal) -> list[Any]:
    return [c[3] for c in temporal.calls if c[0] == "update"]


@pytest.mark.parametrize(("key", "caller"), [
    (ALICE, AnswerCaller(user_id="alice", admin=False)),
    (ADMIN, AnswerCaller(user_id=None, admin=True)),
])
async def test_an_answer_is_one_update_carrying_the_caller(
    secured_real: Api, temporal: StubTemporal, alices_job: str, key: str, caller: AnswerCaller
) -> None:
    before = _describes()
    r = await secured_real.http.post(f"{API}/hitl/{alices_job}/response", json=ANSWER,
                                     headers=bearer(key))
    assert r.status_code == 200, r.text
    assert temporal.ops() == ["update"] and _describes() == before
    [sent] = _sent(temporal)
    assert sent.caller == caller
    assert r.json()["prompt"] is None


async def test_another_users_answer_is_the_unknown_jobs_404(
    secured_real: Api, temporal: StubTemporal, alices_job: str
) -> None:
    unknown = "3f2c1f7e-1111-4222-8333-444455556666"
    theirs = await secured_real.http.post(f"{API}/hitl/{alices_job}/response", json=ANSWER,
                                          headers=bearer(BOB))
    missing = await secured_real.http.post(f"{API}/hitl/{unknown}/response", json=ANSWER,
                                           headers=bearer(BOB))
    body, unknown_body = error_body(theirs, 404), error_body(missing, 404)
    assert body["error"] == f"Job {alices_job} not found."  # the words of an unknown job's
    assert unknown_body["error"] == f"Job {unknown} not found."
    assert set(body) == set(unknown_body) and "details" not in body  # no reason, no 403


async def test_a_held_reply_reads_the_next_prompt_from_the_memo(
    real_api: Api, temporal: StubTemporal
) -> None:
    """The update names the next prompt by id; its report and files come from the memo."""
    nxt = prompt(2, HitlType.PREVIEW).model_copy(update={"data": {"skill_md": "# X\n"}})
    job_id = temporal.add(job_view(waiting=nxt)).view.job_id
    temporal.next_prompt_id = 2
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response?wait=5", json=ANSWER)
    assert r.status_code == 200, r.text
    assert r.json()["prompt"] == nxt.model_dump(mode="json")
    assert temporal.ops() == ["update", "describe"]


@pytest.mark.parametrize(("memo_prompt", "shown"), [(3, 3), (None, None), (1, None)])
async def test_a_held_reply_never_shows_an_older_prompt(
    real_api: Api, temporal: StubTemporal, memo_prompt: int | None, shown: int | None
) -> None:
    """Answered again in between: the reply shows the latest prompt, or none."""
    view = job_view(waiting=prompt(memo_prompt)) if memo_prompt else job_view(
        status=JobStatus.RUNNING)
    job_id = temporal.add(view).view.job_id
    temporal.next_prompt_id = 2
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response?wait=5", json=ANSWER)
    got = r.json()["prompt"]
    assert (got and got["prompt_id"]) == shown


@pytest.mark.parametrize(("memo_prompt", "shown"), [(None, None), (2, 2)])
async def test_a_wait_that_runs_out_replies_as_the_memo_shows_the_job(
    real_api: Api, temporal: StubTemporal, memo_prompt: int | None, shown: int | None
) -> None:
    """The API bounds `?wait` itself (the workflow holds the update with no timer): the
    answer was accepted, its result has not come, so the reply is the job as it is now."""
    view = job_view(waiting=prompt(memo_prompt)) if memo_prompt else job_view(
        status=JobStatus.RUNNING)
    job_id = temporal.add(view).view.job_id
    temporal.hold_updates = True
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response?wait=0.2",
                                 json={**ANSWER, "response_id": "r-1"})
    assert r.status_code == 200, r.text
    ack = r.json()
    assert {k: ack[k] for k in ("prompt_id", "response_id", "action", "duplicate")} == {
        "prompt_id": 1, "response_id": "r-1", "action": "proceed", "duplicate": False}
    assert ack["status"] == view.status.value
    assert (ack["prompt"] and ack["prompt"]["prompt_id"]) == shown
    assert temporal.ops() == ["update", "describe"]


async def test_an_older_worker_gets_the_answer_after_the_apis_own_check(
    secured_real: Api, temporal: StubTemporal, alices_job: str
) -> None:
    """A worker from before `caller` refuses to decode it: the API checks ownership itself
    (describe) and sends the answer without the field."""
    old = WorkflowUpdateFailedError(ApplicationError(OLD_WORKER_REFUSAL, type="RuntimeError"))
    handle_update = StubHandle.execute_update

    async def old_worker(self: StubHandle, update: str, arg: Any, **kw: Any) -> Any:
        if arg.caller is not None:
            self._stub.hit("update", self.id, update, arg)
            raise old
        return await handle_update(self, update, arg, **kw)

    StubHandle.execute_update = old_worker  # type: ignore[method-assign]
    try:
        mine = await secured_real.http.post(f"{API}/hitl/{alices_job}/response", json=ANSWER,
                                            headers=bearer(ALICE))
        assert mine.status_code == 200, mine.text
        assert [s.caller for s in _sent(temporal)] == [
            AnswerCaller(user_id="alice", admin=False), None]
        temporal.calls.clear()
        theirs = await secured_real.http.post(f"{API}/hitl/{alices_job}/response",
                                              json=ANSWER, headers=bearer(BOB))
        assert error_body(theirs, 404)["error"] == f"Job {alices_job} not found."
        assert temporal.ops() == ["update", "describe"]  # never sent without the check
    finally:
        StubHandle.execute_update = handle_update  # type: ignore[method-assign]


async def test_no_worker_is_404_for_another_user_and_503_for_the_owner(
    secured_real: Api, temporal: StubTemporal, alices_job: str
) -> None:
    temporal.fail["update"] = WorkflowUpdateRPCTimeoutOrCancelledError()
    theirs = await secured_real.http.post(f"{API}/hitl/{alices_job}/response", json=ANSWER,
                                          headers=bearer(BOB))
    assert error_body(theirs, 404)["error"] == f"Job {alices_job} not found."
    mine = await secured_real.http.post(f"{API}/hitl/{alices_job}/response", json=ANSWER,
                                        headers=bearer(ALICE))
    assert "retry with the same response_id" in error_body(mine, 503)["error"]


async def test_an_answer_to_a_workflow_of_another_type_is_404(
    real_api: Api, temporal: StubTemporal
) -> None:
    job_id = temporal.add(job_view(), workflow_type="SomethingElse").view.job_id
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response", json=ANSWER)
    assert error_body(r, 404)["error"] == f"Job {job_id} not found."


async def test_concurrent_reads_of_a_job_share_one_describe(temporal: StubTemporal) -> None:
    """Fifty readers while one describe is in flight: one describe, fifty views; the next
    read after it returned describes again (nothing is cached)."""
    job_id = temporal.add(job_view(user_id="alice")).view.job_id
    release = asyncio.Event()
    plain = StubHandle.describe

    async def slow(self: StubHandle, *, rpc_timeout: Any = None) -> StubDescription:
        await release.wait()
        return await plain(self, rpc_timeout=rpc_timeout)

    gateway = JobGateway(temporal, Settings())  # type: ignore[arg-type]
    StubHandle.describe = slow  # type: ignore[method-assign]
    try:
        readers = [asyncio.create_task(gateway.view(job_id, owner))
                   for owner in ["alice"] * 25 + [None] * 24 + ["bob"]]
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*readers, return_exceptions=True)
    finally:
        StubHandle.describe = plain  # type: ignore[method-assign]
    assert temporal.ops() == ["describe"]
    assert all(r.job_id == job_id for r in results[:49])  # type: ignore[union-attr]
    assert "not found" in str(results[49])  # the shared describe, each caller's own check
    await gateway.view(job_id)
    assert temporal.ops() == ["describe", "describe"]


async def test_single_flight_survives_a_caller_that_leaves() -> None:
    flight: SingleFlight[int] = SingleFlight()
    release = asyncio.Event()
    calls = 0

    async def call() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 7

    first = asyncio.create_task(flight.run("j", call))
    second = asyncio.create_task(flight.run("j", call))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 7 and calls == 1 and flight.in_flight() == 0
    assert first.cancelled()


def test_the_update_id_names_the_caller() -> None:
    """Temporal returns a known update id's first reply without asking the validator, so a
    stranger who guesses a response id must not send the owner's update id."""
    callers = [AnswerCaller(user_id="alice"), AnswerCaller(user_id="bob"),
               AnswerCaller(admin=True), None]
    ids = [update_id(HitlResponse(prompt_id=1, response_id="r1", caller=c)) for c in callers]
    assert len(set(ids)) == 4 and all(i.endswith("-r1") for i in ids)
