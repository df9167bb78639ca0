"""Cheaper reads (issue 27): a job's view is built once per memo and run status.

Every read still sends its describe; what it reuses is only what that describe yields
(`api.view_cache`): the same memo and status give the same view and JSON without
rebuilding them, and any change to either is read at once.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowExecutionStatus

from api.errors import ApiError
from api.job_gateway import JobGateway
from common.settings import Settings
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, job_view
from tests.fast.api.temporal_stub import StubTemporal
from workflows.models import JobStatus


def _gateway(temporal: StubTemporal) -> JobGateway:
    return JobGateway(temporal, Settings())  # type: ignore[arg-type]


async def test_an_unchanged_job_is_described_each_time_and_built_once(
        temporal: StubTemporal) -> None:
    job_id = temporal.add(job_view(user_id="alice")).view.job_id
    gateway = _gateway(temporal)
    first = await gateway.view(job_id, "alice")
    assert await gateway.view(job_id, "alice") is first
    assert temporal.ops() == ["describe", "describe"]
    assert await gateway.view_json(job_id) == first.model_dump_json().encode()
    with pytest.raises(ApiError) as refused:  # the owner is checked on every describe
        await gateway.view(job_id, "bob")
    assert refused.value.status_code == 404


async def test_a_changed_memo_or_run_status_is_read_at_once(temporal: StubTemporal) -> None:
    job = temporal.add(job_view(user_id="alice"))
    gateway = _gateway(temporal)
    before = await gateway.view(job.view.job_id)
    job.view = job.view.model_copy(update={"progress_message": "Further on"})
    assert (await gateway.view(job.view.job_id)).progress_message == "Further on"
    job.status = WorkflowExecutionStatus.TERMINATED  # same memo, run ended outside the job
    ended = await gateway.view(job.view.job_id)
    assert ended.status is JobStatus.CANCELLED and before.status is not JobStatus.CANCELLED


async def test_the_route_sends_the_view_as_the_model_serializes_it(
        real_api: Api, temporal: StubTemporal) -> None:
    view = temporal.add(job_view(user_id="alice")).view
    for _ in range(2):  # built, then reused
        r = await real_api.http.get(f"{API}/jobs/{view.job_id}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.content == view.model_dump_json().encode()
