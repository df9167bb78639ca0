"""A cancelled job's run ends as Canceled in Temporal, whichever way it was cancelled (issue 15).

Each path on the real dev server with the real app in-process over it: `POST /jobs/{id}/cancel`
(Temporal's cancel request), a cancel answer at a checkpoint, and a deadline whose policy is
cancel. The run's execution status is CANCELED, so the Web UI's and `temporal workflow list`'s
`ExecutionStatus="Canceled"` filter finds it, while the API still reads the whole job: status
`cancelled`, the view the workflow holds, its events (a query on the closed run), the job list
filtered on `cancelled`; the draft is gone and every event reached the job's webhook.

`RECORD_HISTORIES=1` writes the answer and request runs' histories to tests/histories/ for
tests/fast/test_replay.py (only after a deliberate, patched change).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.fast.api.harness import Api, make_settings, running_api
from tests.fast.workflow.jobs import Harness, Job, StartHarness, eventually, real_activities
from workflows import names
from workflows.cancelled_run import PATCH_CANCELED_RUN
from workflows.models import HitlType, JobState, JobStatus, JobView, WebhookInput

API = "/api/v2"
JOB_HOOK = "https://hooks.example.com/skill-fleet"
HISTORIES = Path(__file__).resolve().parent.parent.parent / "histories"


class RecordingDelivery:
    """`deliver_webhook` that only records what the job sent."""

    def __init__(self) -> None:
        self.requests: list[WebhookInput] = []

    @activity.defn(name=names.ACTIVITY_DELIVER_WEBHOOK)
    async def deliver(self, request: WebhookInput) -> None:
        self.requests.append(request)


@dataclass
class Setup:
    harness: Harness
    api: Api
    delivery: RecordingDelivery


@pytest.fixture
async def setup(start_harness: StartHarness, skills_root: Path,
                temporal_env: WorkflowEnvironment) -> AsyncIterator[Setup]:
    delivery = RecordingDelivery()
    harness = await start_harness([*real_activities(skills_root), delivery.deliver])
    settings = make_settings(skills_root, task_queue=harness.task_queue)
    async with running_api(settings, temporal=temporal_env.client) as api:  # type: ignore[arg-type]
        yield Setup(harness, api, delivery)


async def start(s: Setup, **options: Any) -> Job:
    return await s.harness.start(webhook_url=JOB_HOOK, **options)


async def assert_cancelled_run(s: Setup, job: Job, reason: str) -> JobState:
    """The run is Canceled; the API reads the cancelled job whole; cleanup and webhooks ran."""
    final = await job.result()  # the state query: a Canceled run has no result
    assert final.status is JobStatus.CANCELLED and reason in final.progress_message
    assert final.prompt is None and final.draft_path is None and final.error is None
    assert [e.kind for e in final.events][-1] == "cancelled"
    assert not job.drafts.exists()

    assert (await job.handle.describe()).status is WorkflowExecutionStatus.CANCELED
    canceled = f"WorkflowId = '{job.id}' AND ExecutionStatus = 'Canceled'"
    await eventually(lambda: _count(s, canceled), lambda n: n == 1, "the Canceled filter")

    http = s.api.http
    r = await http.get(f"{API}/jobs/{job.id}")
    assert r.status_code == 200, r.text
    read = {k: v for k, v in r.json().items() if k != "stale"}
    assert read == JobView.of(final).model_dump(mode="json")  # not reconciled into anything
    r = await http.get(f"{API}/jobs/{job.id}/events", params={"format": "json"})
    assert r.status_code == 200, r.text
    assert [e["seq"] for e in r.json()["events"]] == [e.seq for e in final.events]

    async def listed() -> list[dict[str, Any]]:
        r = await http.get(f"{API}/jobs", params={"status": "cancelled"})
        assert r.status_code == 200, r.text
        return [j for j in r.json()["jobs"] if j["job_id"] == job.id]
    [row] = await eventually(listed, lambda rows: len(rows) == 1, "the job in the list")
    assert row["status"] == "cancelled"

    # every event of the job reached its webhook, the `cancelled` one last
    sent = [r.event.seq for r in s.delivery.requests if r.target == "job"]
    assert sent == [e.seq for e in final.events]
    assert s.delivery.requests[-1].event.kind == "cancelled"
    return final


async def _count(s: Setup, query: str) -> int:
    return len([w async for w in s.harness.client.list_workflows(query)])


async def _patched(job: Job) -> bool:
    """The run took the patched path: its history carries the patch marker."""
    history = await job.handle.fetch_history()
    return any(PATCH_CANCELED_RUN in str(e.marker_recorded_event_attributes)
               for e in history.events if e.HasField("marker_recorded_event_attributes"))


async def _record(job: Job, name: str) -> None:
    if os.environ.get("RECORD_HISTORIES") == "1":
        history = await job.handle.fetch_history()
        (HISTORIES / f"{name}.json").write_text(history.to_json())


async def test_api_cancel_ends_the_run_canceled(setup: Setup) -> None:
    job = await start(setup, enable_hitl_confirm=True)
    await job.wait_prompt(HitlType.CONFIRM)
    r = await setup.api.http.post(f"{API}/jobs/{job.id}/cancel")
    assert r.status_code == 202, r.text

    await assert_cancelled_run(setup, job, "Cancelled by request")
    assert await _patched(job)
    r = await setup.api.http.post(f"{API}/jobs/{job.id}/cancel")
    assert r.status_code == 409, r.text  # a closed run: already finished, as before
    await _record(job, "canceled_run_by_request")


async def test_cancel_answer_ends_the_run_canceled(setup: Setup) -> None:
    job = await start(setup, enable_hitl_preview=True)
    prompt = await job.wait_prompt(HitlType.PREVIEW)
    r = await setup.api.http.post(f"{API}/hitl/{job.id}/response", params={"wait": 10},
                                  json={"prompt_id": prompt.prompt_id, "action": "cancel"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"  # the answer's reply: before the run closes

    final = await assert_cancelled_run(setup, job, "Cancelled by the user at preview")
    assert [e.kind for e in final.events][-2:] == ["answer_accepted", "cancelled"]
    await _record(job, "canceled_run_by_answer")


async def test_deadline_cancel_ends_the_run_canceled(setup: Setup) -> None:
    job = await start(setup, enable_hitl_confirm=True, hitl_timeout_seconds=0.5)
    final = await assert_cancelled_run(setup, job, "before its deadline")
    assert "prompt_timed_out" in [e.kind for e in final.events]


async def test_a_completed_job_still_completes(setup: Setup) -> None:
    """Only cancelled jobs change: a job that ends well closes Completed, with its result."""
    job = await start(setup, promotion_window_seconds=0.2)
    final = await job.result()
    assert final.status is JobStatus.COMPLETED and final.result
    assert (await job.handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    assert not await _patched(job)


@activity.defn(name=names.ACTIVITY_CANCEL_RUN)
async def refused_cancel_run(reason: str) -> None:
    raise ApplicationError("no permission to cancel", non_retryable=True)


async def test_a_refused_cancel_request_leaves_the_run_completed(
    start_harness: StartHarness, skills_root: Path
) -> None:
    """If the job cannot ask to be cancelled, its run completes as before, nothing lost."""
    activities = [a for a in real_activities(skills_root)
                  if getattr(a, "__name__", "") != "cancel_run"]
    harness = await start_harness([*activities, refused_cancel_run])
    job = await harness.start(enable_hitl_confirm=True)
    prompt = await job.wait_prompt(HitlType.CONFIRM)
    await job.answer(prompt.prompt_id, "cancel")
    final = await job.result()
    assert final.status is JobStatus.CANCELLED and final.draft_path is None
    assert (await job.handle.describe()).status is WorkflowExecutionStatus.COMPLETED
