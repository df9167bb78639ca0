"""Clients' reads of a running job send no describe while its history shows no change
(`api.job_watch`, issue 27).

Through the real gateway over the Temporal stub, whose history long-poll returns the event
batches a test pushes. `tests/test_watched_reads.py` proves the same on the real stack,
with a change made through another API process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCStatusCode

import api.job_watch as job_watch
from api.errors import ApiError
from api.job_gateway import JobGateway
from api.job_watch import Writes
from common.settings import Settings
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, job_view
from tests.fast.api.temporal_stub import StubJob, StubTemporal, rpc_error
from workflows.models import HitlResponse, JobStatus

MEMO = EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED


@pytest.fixture
async def gateway(temporal: StubTemporal) -> AsyncIterator[JobGateway]:
    gateway = JobGateway(temporal, Settings())  # type: ignore[arg-type]
    yield gateway
    await gateway.close()


@pytest.fixture
def job(temporal: StubTemporal) -> StubJob:
    return temporal.add(job_view(user_id="alice"))


def describes(temporal: StubTemporal) -> int:
    return temporal.ops().count("describe")


async def until(condition: Callable[[], bool]) -> None:
    """The watch's task runs on the same loop: give it turns until `condition` holds."""
    for _ in range(5000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("not reached in 5 s")


async def read(gateway: JobGateway, job: StubJob, owner: str | None = None) -> JobStatus:
    return (await gateway.view(job.view.job_id, owner, watched=True)).status


def watching(gateway: JobGateway) -> int:
    return len(gateway._reader.watches)


async def test_an_unchanged_job_is_described_once_for_many_reads(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    for _ in range(5):
        await gateway.view_json(job.view.job_id, "alice")
    assert describes(temporal) == 1
    await until(lambda: "history" in temporal.ops())  # the watch's long-poll
    with pytest.raises(ApiError) as refused:  # the owner is still checked on each read
        await gateway.view_json(job.view.job_id, "bob")
    assert refused.value.status_code == 404 and describes(temporal) == 1


async def test_a_memo_upsert_makes_the_next_read_describe_and_see_it(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    await read(gateway, job)
    job.view = job.view.model_copy(update={"progress_message": "Further on"})
    temporal.push(job, MEMO)
    await until(lambda: gateway._reader.watches.current(job.view.job_id) is None)
    assert (await gateway.view(job.view.job_id, watched=True)).progress_message == "Further on"
    assert describes(temporal) == 2
    await read(gateway, job)
    assert describes(temporal) == 2


async def test_events_that_do_not_change_the_view_send_no_describe(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    await read(gateway, job)
    for kind in (EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
                 EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                 EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
        temporal.push(job, kind)
    await until(lambda: temporal.batches(job.view.job_id).empty())
    await asyncio.sleep(0.01)
    await read(gateway, job)
    assert describes(temporal) == 1


async def test_a_queued_job_is_described_again_at_any_event(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    """Before its first workflow task a job reads as queued; any later event may end that."""
    job.events = 3
    await read(gateway, job)
    temporal.push(job, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    await until(lambda: gateway._reader.watches.current(job.view.job_id) is None)
    await read(gateway, job)
    assert describes(temporal) == 2


async def test_a_write_through_this_process_is_read_at_once(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    await read(gateway, job)
    await gateway.answer(job.view.job_id, HitlResponse(prompt_id=1, action="proceed"))
    before = describes(temporal)
    await read(gateway, job)
    assert describes(temporal) == before + 1
    await gateway.cancel(job.view.job_id)
    await read(gateway, job)
    assert describes(temporal) == before + 3  # cancel's own check, then the read


async def test_a_closed_run_is_not_watched(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    await read(gateway, job)
    job.status = WorkflowExecutionStatus.COMPLETED
    temporal.push(job, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, closed=True)
    await until(lambda: watching(gateway) == 0)
    for _ in range(3):  # an operator may reset or delete it: each read describes
        await read(gateway, job)
    assert describes(temporal) == 4 and watching(gateway) == 0


async def test_a_failed_long_poll_ends_the_watch(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    await read(gateway, job)
    del temporal.jobs[job.view.job_id]  # deleted: the long-poll and the describe say so
    temporal.fail["history"] = rpc_error(RPCStatusCode.NOT_FOUND, "workflow not found")
    temporal.push(job, MEMO)
    await until(lambda: watching(gateway) == 0)
    with pytest.raises(ApiError) as missing:
        await read(gateway, job)
    assert missing.value.status_code == 404


async def test_a_reset_run_is_watched_anew(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    await read(gateway, job)
    [first] = [w.task for w in gateway._reader.watches._watches.values()]
    job.run_id, job.events = "run-2", 20
    gateway._reader.watches.changed(job.view.job_id)  # as the old run's end would
    await read(gateway, job)
    [second] = [w.task for w in gateway._reader.watches._watches.values()]
    assert second is not first
    await until(lambda: first is not None and first.done())
    assert first is not None and first.cancelled()


async def test_internal_reads_always_describe(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob) -> None:
    """The API's own reads (after its update, after a follower saw a change) never use a
    kept describe: they know of a change the watch may not have heard of yet."""
    await read(gateway, job)
    for _ in range(3):
        await gateway.view(job.view.job_id)
    assert describes(temporal) == 4


async def test_no_watch_when_the_setting_is_zero(temporal: StubTemporal, job: StubJob) -> None:
    gateway = JobGateway(temporal, Settings(watched_jobs=0))  # type: ignore[arg-type]
    for _ in range(3):
        await read(gateway, job)
    assert describes(temporal) == 3 and watching(gateway) == 0


async def test_the_longest_unread_watch_goes_first(temporal: StubTemporal) -> None:
    gateway = JobGateway(temporal, Settings(watched_jobs=2))  # type: ignore[arg-type]
    jobs = [temporal.add(job_view(user_id="alice")) for _ in range(3)]
    try:
        await read(gateway, jobs[0])
        await read(gateway, jobs[1])
        await read(gateway, jobs[0])  # read again: jobs[1] is now the longest unread
        await read(gateway, jobs[2])
        assert set(gateway._reader.watches._watches) == {jobs[0].view.job_id,
                                                         jobs[2].view.job_id}
    finally:
        await gateway.close()


async def test_an_idle_watch_stops_at_its_next_long_poll_answer(
        temporal: StubTemporal, gateway: JobGateway, job: StubJob,
        monkeypatch: pytest.MonkeyPatch) -> None:
    await read(gateway, job)
    monkeypatch.setattr(job_watch, "IDLE_SECONDS", 0.0)
    temporal.push(job, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)  # or an empty page
    await until(lambda: watching(gateway) == 0)
    await read(gateway, job)
    assert describes(temporal) == 2


def test_a_describe_sent_before_a_write_is_not_kept_as_current() -> None:
    writes = Writes(remembered=2)
    mark = writes.mark()
    assert not writes.since("a", mark)
    writes.note("a")
    assert writes.since("a", mark) and not writes.since("b", mark)
    later = writes.mark()
    writes.note("b")
    writes.note("c")  # "a" is forgotten: it reads as written as late as the newest forgotten
    assert writes.since("a", mark) and not writes.since("a", later)
    assert writes.since("c", later)


async def test_the_route_reads_through_the_watch(
        real_api: Api, temporal: StubTemporal) -> None:
    view = temporal.add(job_view(user_id="alice")).view
    for path in (f"{API}/jobs/{view.job_id}", f"{API}/hitl/{view.job_id}/prompt"):
        r = await real_api.http.get(path)
        assert r.status_code == 200, r.text
    assert describes(temporal) == 1
