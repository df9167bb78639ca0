"""Reminders and escalation on durable timers, signed webhooks, and rewind to an earlier phase.

One real journey per behaviour; their edge cases (nudge order, timeout policies, every
rewind target and refusal) are in tests/fast/workflow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support import (
    API,
    LocalStack,
    answer,
    create_job,
    get_job,
    wait_job,
    wait_prompt,
    wait_status,
)
from tests.webhook_receivers import Answer, Received, Receiver

SECRET = "test-webhook-secret"
TASK = "Triage customer support tickets by urgency and route them to the right team"


def job_of(delivery: Received) -> str:
    return str(json.loads(delivery.body)["job_id"])


class JobReceiver(Receiver):
    """A real HTTP webhook receiver that fails the first N deliveries of each job."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.delivered: list[Received] = []
        super().__init__(self._answer)

    def _answer(self, got: Received) -> Answer:
        with self.lock:
            fail = len(self.attempts_of(job_of(got))) <= self.fail_first
            if not fail:
                self.delivered.append(got)
        return Answer(500 if fail else 204)

    def attempts_of(self, job_id: str) -> list[Received]:
        return [a for a in self.received if job_of(a) == job_id]

    def deliveries_of(self, job_id: str) -> list[Received]:
        with self.lock:
            return [d for d in self.delivered if job_of(d) == job_id]

    def events(self, job_id: str) -> list[dict[str, Any]]:
        return [json.loads(d.body) for d in self.deliveries_of(job_id)]

    def wait_for(self, job_id: str, kind: str, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["event"]["kind"] == kind for e in self.events(job_id)):
                return self.events(job_id)
            time.sleep(0.1)
        kinds = [e["event"]["kind"] for e in self.events(job_id)]
        raise AssertionError(f"no {kind} delivered; got {kinds}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[JobReceiver]:
    with JobReceiver(fail_first=1) as r:
        yield r


@pytest.fixture(scope="module")
def hitl_api(stack: LocalStack, receiver: JobReceiver,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A worker that signs webhooks and an API with reminders, for this module's tests.

    They run on the session's Temporal server with their own task queue: starting (and
    stopping) a server of their own cost ~2 s, and one pair serves every test here.
    """
    side = LocalStack(tmp_path_factory.mktemp("hitl"))
    side.temporal_port = stack.temporal_port
    queue = "skill-fleet-hitl"
    try:
        # the operator's receiver: the worker delivers to it, the API marks jobs for it
        [url] = side.start_workers_and_apis(
            worker_env={"SKILL_FLEET_WEBHOOK_SECRET": SECRET, "SKILL_FLEET_TASK_QUEUE": queue,
                        "SKILL_FLEET_WEBHOOK_URL": receiver.url},
            api_env={
                "SKILL_FLEET_TASK_QUEUE": queue,
                "SKILL_FLEET_WEBHOOK_URL": receiver.url,
                # with a 4 s deadline: reminder at 1 s, escalation at 2 s, reminder at 3 s
                "SKILL_FLEET_HITL_REMINDERS": "3s,1s",
                "SKILL_FLEET_HITL_ESCALATE_BEFORE": "2s",
            })
        yield url
    finally:
        side.stop()


def test_webhooks_are_signed_retried_and_complete(hitl_api: str, receiver: JobReceiver) -> None:
    with httpx.Client(base_url=hitl_api, timeout=30) as http:
        job_id = create_job(http, TASK, user_id="hooks", enable_hitl_confirm=True)
        prompt = wait_prompt(http, job_id, "confirm")
        receiver.wait_for(job_id, "prompt_raised")
        assert answer(http, job_id, prompt["prompt_id"], action="proceed").status_code == 200
        wait_status(http, job_id, ["completed"])
        events = receiver.wait_for(job_id, "completed")

    # the first delivery failed with 500 and was retried: nothing is missing
    delivered = receiver.deliveries_of(job_id)
    assert len(receiver.attempts_of(job_id)) >= len(delivered) + 1
    seqs = sorted({e["event"]["seq"] for e in events})
    assert seqs == list(range(1, max(seqs) + 1)), seqs
    kinds = [e["event"]["kind"] for e in sorted(events, key=lambda e: e["event"]["seq"])]
    assert kinds[0] == "job_started" and "prompt_raised" in kinds and "completed" in kinds
    for delivery in delivered:
        body = delivery.body
        signed = f"{delivery.headers['X-SkillFleet-Timestamp']}.".encode() + body
        expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert delivery.headers["X-SkillFleet-Signature"] == expected
        payload = json.loads(body)
        assert delivery.headers["X-SkillFleet-Event-Id"] == payload["event_id"]
        assert payload["event_id"] == f"{job_id}:{payload['event']['seq']}"
        assert SECRET not in body.decode()


def test_reminders_escalation_to_the_inbox_then_timeout(
    hitl_api: str, receiver: JobReceiver
) -> None:
    """The whole nudge journey across real processes: webhooks, the inbox, the deadline."""
    with httpx.Client(base_url=hitl_api, timeout=30) as http:
        job_id = create_job(http, TASK, user_id="nudged", enable_hitl_confirm=True,
                            hitl_timeout_seconds=4)
        prompt = wait_prompt(http, job_id, "confirm")
        assert prompt["assignee"] == "nudged"
        # 2 s before the deadline the prompt moves to the admins group and their inbox
        wait_job(http, job_id, lambda j: (j.get("prompt") or {}).get("assignee")
                 == "group:admins", timeout=20, what="escalation")
        deadline = time.monotonic() + 10
        listed: list[str] = []
        while time.monotonic() < deadline and job_id not in listed:
            page = http.get(f"{API}/hitl/pending", params={"assignee": "group:admins"}).json()
            listed = [p["job_id"] for p in page["prompts"]]
            time.sleep(0.1)
        assert job_id in listed
        job = wait_status(http, job_id, ["cancelled", "completed"], timeout=30)
        assert job["status"] == "cancelled"
        events = receiver.wait_for(job_id, "cancelled")
    ordered = [e["event"] for e in sorted(events, key=lambda e: e["event"]["seq"])]
    nudges = [(e["kind"], e["data"]["seconds_left"]) for e in ordered
              if e["kind"] in ("prompt_reminder", "prompt_escalated")]
    assert nudges == [("prompt_reminder", 3.0), ("prompt_escalated", 2.0),
                      ("prompt_reminder", 1.0)]
    escalated = next(e for e in ordered if e["kind"] == "prompt_escalated")
    assert escalated["data"]["assignee"] == "group:admins"
    kinds = [e["kind"] for e in ordered]
    assert kinds.index("prompt_timed_out") > kinds.index("prompt_escalated")

    # each nudge came no earlier than scheduled: durable timers, not a busy loop
    def at(e: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(e["at"])

    raised = next(e for e in ordered if e["kind"] == "prompt_raised")
    first = next(e for e in ordered if e["kind"] == "prompt_reminder")
    assert (at(first) - at(raised)).total_seconds() >= 0.99


def test_rewind_from_preview_to_understanding_then_complete(http: httpx.Client) -> None:
    job_id = create_job(http, TASK, user_id="rewind", enable_hitl_confirm=True,
                        enable_hitl_preview=True)
    confirm = wait_prompt(http, job_id, "confirm")
    first_name = confirm["data"]["summary"]["skill_name"]
    # a refusal of the workflow comes back as the API's status (the matrix: fast layer)
    no_content = http.post(f"{API}/jobs/{job_id}/rewind", json={"to": "validation"})
    assert no_content.status_code == 409 and "no skill yet" in no_content.json()["error"]
    assert answer(http, job_id, confirm["prompt_id"], action="proceed").status_code == 200
    preview = wait_prompt(http, job_id, "preview")
    assert get_job(http, job_id)["versions_count"] == 1

    r = http.post(f"{API}/jobs/{job_id}/rewind", json={
        "to": "understanding",
        "edits": {"skill_name": "support-ticket-triage",
                  "feedback": "Cover after-hours escalation."},
    })
    assert r.status_code == 200, r.text
    assert r.json()["rewinds_used"] == 1

    confirm2 = wait_prompt(http, job_id, "confirm")
    assert confirm2["prompt_id"] > preview["prompt_id"]
    assert confirm2["data"]["summary"]["skill_name"] == "support-ticket-triage" != first_name
    assert answer(http, job_id, confirm2["prompt_id"], action="proceed").status_code == 200
    preview2 = wait_prompt(http, job_id, "preview")
    # the offline author said it could not apply the free text; nothing was pasted
    assert "Cover after-hours escalation" in confirm2["data"]["author_notes"][0]
    assert "Cover after-hours escalation." not in preview2["data"]["content"]
    assert preview2["data"]["version"] == 2  # the old version is kept in the history

    # rewind to generation with an edited description, then on to completion
    r = http.post(f"{API}/jobs/{job_id}/rewind", json={
        "to": "generation",
        "edits": {"description": "Triages support tickets by urgency. Use when the user asks "
                                 "to sort, prioritise or route customer support tickets."},
    })
    assert r.status_code == 200, r.text
    preview3 = wait_prompt(http, job_id, "preview")
    assert "Use when the user asks to sort, prioritise" in preview3["data"]["content"]
    assert answer(http, job_id, preview3["prompt_id"], action="proceed").status_code == 200
    job = wait_status(http, job_id, ["completed"])
    assert job["skill_name"] == "support-ticket-triage"
    assert job["intended_taxonomy_path"].endswith("/support-ticket-triage")
    assert job["versions_count"] == 3
    assert job["revisions"]["rewind"] == 2
    done = http.post(f"{API}/jobs/{job_id}/rewind", json={"to": "understanding"})
    assert done.status_code == 409
