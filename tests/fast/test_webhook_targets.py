"""Which receivers a job's events go to, with the real SkillJob on a real dev server.

The operator's receiver is named in each delivery, never addressed (its URL stays on the
worker); a job's own receiver is delivered in addition, independently; a refused receiver
is recorded once as "refused by policy" and gets nothing more; a job started before this
change (the operator's URL copied into it) is delivered exactly as then.
"""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.authoring import AuthoringActivities
from activities.drafts import DraftActivities
from activities.offline_author import OfflineAuthor
from activities.validation import validate_skill
from activities.webhook_policy import REFUSED, REFUSED_TYPE
from api.job_gateway import sa_initial
from api.job_reader import JobReader
from common.settings import Settings
from tests.skeleton import SKELETON_PASS_THRESHOLD
from workflows import names
from workflows.models import JobInput, JobState, JobView, WebhookInput
from workflows.skill_job import SkillJob
from workflows.webhook_outbox import REFUSED_TYPE as OUTBOX_REFUSED_TYPE

TASK = "Triage customer support tickets by urgency and route them to the right team"
JOB_URL = "https://hooks.example.com/skill-fleet"
HISTORIES = Path(__file__).resolve().parent.parent / "histories"


class RecordingDelivery:
    """`deliver_webhook` that records each request; the job's receiver may be refused."""

    def __init__(self, refuse_job: bool = False) -> None:
        self.refuse_job = refuse_job
        self.requests: list[WebhookInput] = []

    @activity.defn(name=names.ACTIVITY_DELIVER_WEBHOOK)
    async def deliver(self, request: WebhookInput) -> None:
        self.requests.append(request)
        if self.refuse_job and request.target == "job":
            raise ApplicationError(REFUSED, type=REFUSED_TYPE, non_retryable=True)

    def to(self, target: str) -> list[WebhookInput]:
        return [r for r in self.requests if r.target == target]


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


async def run_job(client: Client, skills_root: Path, delivery: RecordingDelivery,
                  **options: object) -> JobState:
    """Run one job to its end (a short promotion window) on a worker of its own."""
    job = JobInput(job_id=str(uuid.uuid4()), task_description=TASK,
                   promotion_window_seconds=0.1, pass_threshold=SKELETON_PASS_THRESHOLD,
                   **options)  # type: ignore[arg-type]
    queue = f"webhooks-{uuid.uuid4().hex[:8]}"
    drafts = DraftActivities(skills_root)
    authoring = AuthoringActivities(OfflineAuthor())
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(client, task_queue=queue, workflows=[SkillJob],
                          activities=[authoring.understand_task, authoring.generate_skill,
                                      validate_skill, drafts.save_draft, drafts.delete_draft,
                                      delivery.deliver],
                          activity_executor=executor):
            handle = await client.start_workflow(
                names.WORKFLOW_TYPE, job, id=job.job_id, task_queue=queue,
                search_attributes=sa_initial(job), result_type=JobState)
            return await handle.result()


def delivered_seqs(state: JobState) -> list[int]:
    return [e.seq for e in state.events if e.kind != "webhook_failed"]


def test_the_workflow_and_the_worker_agree_on_the_refusal_type() -> None:
    assert OUTBOX_REFUSED_TYPE == REFUSED_TYPE


async def test_the_operator_and_the_job_receiver_each_get_every_event(
        client: Client, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    state = await run_job(client, tmp_path, delivery, operator_webhook=True, webhook_url=JOB_URL)
    assert state.status == "completed"
    operator, own = delivery.to("operator"), delivery.to("job")
    assert [r.event.seq for r in operator] == delivered_seqs(state)
    assert [r.event.seq for r in own] == delivered_seqs(state)
    assert {r.url for r in operator} == {""}  # named, never addressed
    assert {r.url for r in own} == {JOB_URL}
    assert state.options.operator_webhook and state.options.webhook_url == JOB_URL


async def test_a_refused_job_receiver_is_recorded_once_and_not_tried_again(
        client: Client, tmp_path: Path) -> None:
    delivery = RecordingDelivery(refuse_job=True)
    state = await run_job(client, tmp_path, delivery, operator_webhook=True, webhook_url=JOB_URL)
    assert state.status == "completed"
    assert len(delivery.to("job")) == 1
    failed = [e.data for e in state.events if e.kind == "webhook_failed"]
    assert failed == [{"event_seq": 1, "target": "job", "error": REFUSED}]
    assert [r.event.seq for r in delivery.to("operator")] == delivered_seqs(state)


async def test_a_job_from_before_the_change_has_its_one_receiver_as_then(
        client: Client, tmp_path: Path) -> None:
    """Its input carries the operator's URL and no `operator_webhook`: one target, as before."""
    delivery = RecordingDelivery()
    legacy_url = "http://127.0.0.1:9/hook"
    state = await run_job(client, tmp_path, delivery, webhook_url=legacy_url)
    assert [(r.target, r.url) for r in delivery.requests] == (
        [("job", legacy_url)] * len(delivered_seqs(state)))


async def test_a_job_without_receivers_delivers_nothing(client: Client, tmp_path: Path) -> None:
    delivery = RecordingDelivery()
    state = await run_job(client, tmp_path, delivery)
    assert state.status == "completed" and delivery.requests == []


def test_a_job_from_before_the_change_does_not_show_the_operator_url() -> None:
    """Its memo still holds the copied URL: the API shows `operator_webhook` instead."""
    operator_url = "https://ops.internal/hook/T0KEN"
    reader = JobReader(None, Settings(webhook_url=operator_url))  # type: ignore[arg-type]

    def view(url: str | None) -> JobView:
        job = JobInput(job_id="j", task_description=TASK, webhook_url=url)
        return JobView.of(JobState(job_id="j", task_description=TASK, user_id="u",
                                   created_at=datetime.now(UTC), updated_at=datetime.now(UTC),
                                   options=job))

    redacted = reader.redact(view(operator_url))
    assert (redacted.options.webhook_url, redacted.options.operator_webhook) == (None, True)
    assert "T0KEN" not in redacted.model_dump_json()
    assert reader.redact(view(JOB_URL)).options.webhook_url == JOB_URL


async def replays(history: WorkflowHistory) -> bool:
    replayer = Replayer(workflows=[SkillJob], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure is None


async def test_a_two_receiver_history_replays(client: Client, tmp_path: Path) -> None:
    state = await run_job(client, tmp_path, RecordingDelivery(refuse_job=True),
                          operator_webhook=True, webhook_url=JOB_URL)
    history = await client.get_workflow_handle(state.job_id).fetch_history()
    assert await replays(history)


async def test_a_job_the_new_api_started_on_an_old_worker_replays_as_it_ran() -> None:
    """An old worker ignored `operator_webhook` and delivered to the job's URL only.

    A recorded history of that shape, its input marked `operator_webhook`, must replay:
    without the patch the new code would schedule the operator's deliveries too.
    """
    recorded = json.loads((HISTORIES / "cancel_by_request.json").read_text())
    started = recorded["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    job = json.loads(base64.b64decode(payload["data"]))
    assert job["webhook_url"] and "operator_webhook" not in job
    payload["data"] = base64.b64encode(
        json.dumps({**job, "operator_webhook": True}).encode()).decode()
    assert await replays(WorkflowHistory.from_json("old-worker", json.dumps(recorded)))
