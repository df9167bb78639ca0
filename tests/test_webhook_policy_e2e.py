"""Webhooks on the real stack (dev server, worker, API as processes), with real receivers.

The operator's receiver listens on 127.0.0.1 and is delivered to: it is the operator's own.
A job's own receiver also listens on 127.0.0.1, named `localhost` (allow-listed): the name
resolves to loopback, so the worker refuses it, records "refused by policy" once and never
connects, while the operator's receiver still gets every event. The operator's URL appears
nowhere in what the API shows of the job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import API, LocalStack, create_job, get_job, wait_status
from tests.webhook_receivers import Receiver, readme_verifier

SECRETS = ("current-secret", "next-secret")
TASK = "Triage customer support tickets by urgency and route them to the right team"


@pytest.fixture(scope="module")
def operator() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def own() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory, operator: Receiver) -> Iterator[str]:
    stack = LocalStack(tmp_path_factory.mktemp("webhook-policy"))
    webhooks = {"SKILL_FLEET_WEBHOOK_URL": operator.url,
                "SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS": "localhost"}
    try:
        stack.start_server()
        [url] = stack.start_workers_and_apis(
            worker_env={**webhooks, "SKILL_FLEET_WEBHOOK_SECRET": ",".join(SECRETS)},
            api_env=webhooks)
        yield url
    finally:
        stack.stop()


@pytest.fixture
def http(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


def delivered(receiver: Receiver, job_id: str, kind: str, timeout: float = 30) -> list[Any]:
    """The receiver's deliveries for a job, once one of `kind` arrived, in seq order."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [(r, json.loads(r.body)) for r in list(receiver.received)]
        mine = [(r, p) for r, p in mine if p["job_id"] == job_id]
        if any(p["event"]["kind"] == kind for _, p in mine):
            return sorted(mine, key=lambda rp: rp[1]["event"]["seq"])
        assert time.monotonic() < deadline, f"no {kind} delivered for {job_id}"
        time.sleep(0.1)


@pytest.mark.parametrize("url", ["https://hooks.example.com/skill-fleet",
                                 "http://127.0.0.1:9/hook", "http://169.254.169.254/latest"])
def test_a_job_url_outside_the_allow_list_is_refused_at_create(http: httpx.Client,
                                                               url: str) -> None:
    r = http.post(f"{API}/skills/create", json={"task_description": TASK, "webhook_url": url})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"].startswith("webhook_url: ")
    assert "SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS" in body["error"]
    assert body["details"]["errors"][0]["loc"] == ["body", "webhook_url"]


def test_a_job_url_on_loopback_is_refused_and_the_operator_still_delivered(
        http: httpx.Client, operator: Receiver, own: Receiver) -> None:
    own_url = f"http://localhost:{own.port}/hook"
    job_id = create_job(http, TASK, webhook_url=own_url)
    wait_status(http, job_id, ["completed"])
    deliveries = delivered(operator, job_id, "completed")

    # The job records the refusal once, with nothing about the network behind it.
    page = http.get(f"{API}/jobs/{job_id}/events", params={"format": "json"}).json()
    failed = [e["data"] for e in page["events"] if e["kind"] == "webhook_failed"]
    assert failed == [{"event_seq": 1, "target": "job", "error": "refused by policy"}]
    assert own.count() == 0  # never connected, not even once

    # The operator's receiver got every other event, in order, signed with both secrets.
    seqs = [p["event"]["seq"] for _, p in deliveries]
    expected = [e["seq"] for e in page["events"] if e["kind"] != "webhook_failed"]
    assert seqs == expected and seqs[0] == 1
    verify = readme_verifier()
    for received, payload in deliveries:
        assert verify(SECRETS[0], received.headers, received.body)
        assert verify(SECRETS[1], received.headers, received.body)
        assert received.headers["X-SkillFleet-Event-Id"] == payload["event_id"]

    # The job shows its own URL and that the operator's receiver is on, never that URL.
    job = get_job(http, job_id)
    assert job["options"]["webhook_url"] == own_url
    assert job["options"]["operator_webhook"] is True
    shown = json.dumps(job) + json.dumps(page)
    assert operator.url not in shown and f":{operator.port}" not in shown


def test_without_a_job_url_only_the_operator_is_delivered(http: httpx.Client,
                                                          operator: Receiver) -> None:
    job_id = create_job(http, TASK)
    wait_status(http, job_id, ["completed"])
    deliveries = delivered(operator, job_id, "completed")
    assert deliveries[0][1]["event"]["kind"] == "job_started"
    job = get_job(http, job_id)
    assert job["options"]["webhook_url"] is None and job["options"]["operator_webhook"] is True
    assert operator.url not in json.dumps(job)
