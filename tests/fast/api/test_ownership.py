"""Another user's job does not exist for you; an admin's key reaches every job.

Through the real gateway: the job's owner comes from its search attribute, so these
tests would catch a route that forgot to pass the caller's scope, or a gateway method
that forgot to check it before writing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fast.api.checks import error_body
from tests.fast.api.harness import ADMIN, ALICE, BOB, Api, bearer
from tests.fast.api.samples import API, JOB_ROUTES, job_view
from tests.fast.api.temporal_stub import StubTemporal
from workflows.models import AnswerCaller, JobStatus


@pytest.fixture
def alices_job(temporal: StubTemporal) -> str:
    return temporal.add(job_view(user_id="alice")).view.job_id


async def _call(api: Api, key: str, method: str, route: str, job_id: str,
                body: dict[str, Any] | None) -> Any:
    headers = [(b"authorization", f"Bearer {key}".encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    return await api.raw(method, route.format(job_id).encode(),
                         body=json.dumps(body).encode() if body is not None else b"",
                         headers=headers)


@pytest.mark.parametrize(("method", "route", "body"), JOB_ROUTES, ids=lambda v: str(v)[:30])
async def test_another_users_job_is_404_and_untouched(
    secured_real: Api, temporal: StubTemporal, alices_job: str, method: str, route: str,
    body: dict[str, Any] | None
) -> None:
    r = await _call(secured_real, BOB, method, route, alices_job, body)
    assert error_body(r, 404)["error"] == f"Job {alices_job} not found."
    if route.startswith("/api/v2/hitl/{}/response"):
        # No describe: the update carries the caller and the workflow's validator refuses
        # it (a refused update writes nothing), as the stub's validator does here.
        [(op, _, _, sent)] = temporal.calls
        assert op == "update" and sent.caller == AnswerCaller(user_id="bob", admin=False)
    else:
        assert temporal.ops() == ["describe"]


@pytest.mark.parametrize(("method", "route", "body"), JOB_ROUTES, ids=lambda v: str(v)[:30])
async def test_the_owner_and_an_admin_get_through(
    secured_real: Api, temporal: StubTemporal, alices_job: str, method: str, route: str,
    body: dict[str, Any] | None
) -> None:
    if route.endswith(("/promote", "/events")):
        # a completed job: promotable, and its event stream ends instead of following
        temporal.jobs[alices_job].view = job_view(alices_job, status=JobStatus.COMPLETED)
    for key in (ALICE, ADMIN):
        r = await _call(secured_real, key, method, route, alices_job, body)
        # drafts: the job has no draft yet, which the route says with its own 404
        if route.startswith("/api/v2/drafts/{}") and method == "GET":
            assert "has no draft" in error_body(r, 404)["error"]
        else:
            assert r.status in (200, 202), (key, r.status, r.body[:300])


async def test_an_admin_promotion_records_who_asked(secured_real: Api, temporal: StubTemporal,
                                                    alices_job: str) -> None:
    temporal.jobs[alices_job].view = job_view(alices_job, status=JobStatus.COMPLETED)
    r = await secured_real.http.post(f"{API}/drafts/{alices_job}/promote", headers=bearer(ADMIN))
    assert r.status_code == 200, r.text
    [(_, _, _, request)] = [c for c in temporal.calls if c[0] == "update"]
    assert (request.admin, request.requested_by) == (True, "root")


async def test_an_idempotent_create_cannot_reach_another_users_job(
    secured_real: Api, temporal: StubTemporal
) -> None:
    """The key is hashed with the owner: bob's 'k1' names another job than alice's."""
    body = {"task_description": "Plan database schema migrations with zero downtime"}
    a = await secured_real.http.post(f"{API}/skills/create", json=body,
                                     headers={**bearer(ALICE), "Idempotency-Key": "k1"})
    b = await secured_real.http.post(f"{API}/skills/create", json=body,
                                     headers={**bearer(BOB), "Idempotency-Key": "k1"})
    assert a.status_code == b.status_code == 202
    assert a.json()["job_id"] != b.json()["job_id"]
    assert {j.view.user_id for j in temporal.jobs.values()} == {"alice", "bob"}
