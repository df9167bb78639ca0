"""`Idempotency-Key`: validated, hashed with the owner into the job id, never a path.

The same key from the same owner must name the same job (so a retried create cannot
start two), and a key reused with another body must be refused, not silently merged.
"""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, TASK, job_view
from tests.fast.api.temporal_stub import StubTemporal
from workflows.models import JobStatus

CREATE = f"{API}/skills/create"
BODY = {"task_description": TASK, "user_id": "alice"}
MESSAGE = "Idempotency-Key must be 1-200 printable characters."


@pytest.mark.parametrize("key", [b"", b"k" * 201, b"key\x7f", b"tab\there", b"nul\x00",
                                 b"esc\x1b[0m", b"line\nbreak"], ids=repr)
async def test_a_bad_key_is_422_and_starts_nothing(api: Api, gateway: FakeGateway,
                                                   key: bytes) -> None:
    r = await api.raw("POST", CREATE.encode(), body=b'{"task_description": "%s"}' % TASK.encode(),
                      headers=[(b"content-type", b"application/json"),
                               (b"idempotency-key", key)])
    assert error_body(r, 422)["error"] == MESSAGE
    assert gateway.calls == []


async def test_the_same_key_names_the_same_job(api: Api, gateway: FakeGateway) -> None:
    first = await api.http.post(CREATE, json=BODY, headers={"Idempotency-Key": "k1"})
    job_id = first.json()["job_id"]
    gateway.existing.add(job_id)
    again = await api.http.post(CREATE, json=BODY, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["job_id"] == job_id and uuid.UUID(job_id).version == 4
    starts = gateway.called("start")
    assert [s["job"].job_id for s in starts] == [job_id, job_id]
    assert starts[0]["fingerprint"] == starts[1]["fingerprint"] is not None
    # the retry skipped the active-job count: the job it names already exists
    assert [c.name for c in gateway.calls] == ["exists", "active_jobs", "start", "exists", "start"]


async def test_owner_key_and_body_each_change_what_is_sent(api: Api,
                                                           gateway: FakeGateway) -> None:
    for user, key, review in (("alice", "k1", False), ("bob", "k1", False),
                              ("alice", "k2", False), ("alice", "k1", True)):
        r = await api.http.post(CREATE, headers={"Idempotency-Key": key}, json={
            **BODY, "user_id": user, "enable_hitl_review": review})
        assert r.status_code == 202
    ids = [s["job"].job_id for s in gateway.called("start")]
    prints = [s["fingerprint"] for s in gateway.called("start")]
    assert len(set(ids[:3])) == 3 and ids[3] == ids[0]
    # the fingerprint is of owner and body (not the key): only the body check uses it
    assert prints[0] == prints[2] and len({prints[0], prints[1], prints[3]}) == 3


@pytest.mark.parametrize("key", ["../../../etc/passwd", "/", "k" * 200, "\u00e9t\u00e9"])
async def test_any_printable_key_becomes_a_uuid4(api: Api, gateway: FakeGateway,
                                                 key: str) -> None:
    r = await api.raw("POST", CREATE.encode(), body=b'{"task_description": "%s"}' % TASK.encode(),
                      headers=[(b"content-type", b"application/json"),
                               (b"idempotency-key", key.encode())])
    assert r.status == 202, r.body
    assert uuid.UUID(r.json()["job_id"]).version == 4


async def test_no_key_means_a_fresh_job_each_time(api: Api, gateway: FakeGateway) -> None:
    for _ in range(2):
        assert (await api.http.post(CREATE, json=BODY)).status_code == 202
    starts = gateway.called("start")
    assert starts[0]["job"].job_id != starts[1]["job"].job_id
    assert starts[0]["fingerprint"] is None and gateway.called("exists") == []


async def test_a_retry_gets_the_job_as_it_is_now(api: Api, gateway: FakeGateway) -> None:
    gateway.start_result = job_view(status=JobStatus.CANCELLED)
    r = await api.http.post(CREATE, json=BODY, headers={"Idempotency-Key": "k1"})
    assert r.json()["status"] == "cancelled"


async def test_a_retry_is_not_refused_by_the_cap(api: Api, gateway: FakeGateway) -> None:
    gateway.active = api.settings.max_active_jobs_per_user
    error_body(await api.http.post(CREATE, json=BODY, headers={"Idempotency-Key": "new"}), 429)
    first = gateway.called("exists")[0]["job_id"]
    gateway.existing.add(first)
    r = await api.http.post(CREATE, json=BODY, headers={"Idempotency-Key": "new"})
    assert r.status_code == 202 and r.json()["job_id"] == first


async def test_a_key_reused_with_another_body_is_422(real_api: Api,
                                                     temporal: StubTemporal) -> None:
    """Through the real gateway: the body's fingerprint is kept in the workflow's memo."""
    key = {"Idempotency-Key": "k1"}
    first = await real_api.http.post(CREATE, json=BODY, headers=key)
    again = await real_api.http.post(CREATE, json=BODY, headers=key)
    assert first.status_code == again.status_code == 202, again.text
    assert first.json() == again.json() == {"job_id": first.json()["job_id"], "status": "pending"}
    changed = await real_api.http.post(CREATE, json={**BODY, "enable_hitl_review": True},
                                       headers=key)
    assert "different request body" in error_body(changed, 422)["error"]
    assert len(temporal.jobs) == 1


def _jobs_created() -> float:
    return REGISTRY.get_sample_value("skill_fleet_jobs_created_total") or 0.0


async def test_only_a_start_that_starts_a_job_is_counted(real_api: Api,
                                                         temporal: StubTemporal) -> None:
    """`skill_fleet_jobs_created_total`: replays of an idempotent create start nothing."""
    before = _jobs_created()
    key = {"Idempotency-Key": "counted-once"}
    for _ in range(3):
        assert (await real_api.http.post(CREATE, json=BODY, headers=key)).status_code == 202
    assert _jobs_created() == before + 1 and len(temporal.jobs) == 1
