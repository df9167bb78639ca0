"""Prometheus metrics: the API's /metrics and the worker's SDK endpoint, scraped over HTTP.

The end-to-end test runs jobs on a private stack and reads both endpoints as Prometheus
would; the smaller tests check the author-call error path and the replay safety of
the workflow-side metrics with Temporal's in-memory metric buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.runtime import (
    BufferedMetricUpdate,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
)
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.authoring import AuthoringActivities
from devstack.processes import free_port, wait_until
from devstack.temporal_server import temporal_binary
from skill_format.models import SkillContent
from tests.support import API, LocalStack, answer, create_job, wait_prompt, wait_status
from workflows import job_metrics
from workflows.models import GenerateInput, Understanding, UnderstandInput


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def scrape(url: str) -> list[Sample]:
    text = httpx.get(url, timeout=10).text
    return [Sample(s.name, dict(s.labels), s.value)
            for family in text_string_to_metric_families(text) for s in family.samples]


def total(samples: Sequence[Sample], name: str, **labels: str) -> float:
    """Sum of the series called `name` whose labels include `labels`."""
    return sum(s.value for s in samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def names(samples: Sequence[Sample]) -> set[str]:
    return {s.name for s in samples}


def test_api_and_worker_metrics_after_jobs(own_stack: LocalStack) -> None:
    metrics_port = free_port()
    own_stack.start_server()
    # A short promotion window lets the completed job's workflow close.
    [url] = own_stack.start_workers_and_apis(
        worker_env={"SKILL_FLEET_WORKER_METRICS_PORT": str(metrics_port)},
        api_env={"SKILL_FLEET_PROMOTION_WINDOW_SECONDS": "1"})
    worker_url = f"http://127.0.0.1:{metrics_port}/metrics"

    with httpx.Client(base_url=url, timeout=30) as http:
        done = create_job(http, user_id="metrics", enable_hitl_confirm=True)
        prompt = wait_prompt(http, done, "confirm")
        assert answer(http, done, prompt["prompt_id"], action="proceed").status_code == 200
        wait_status(http, done, ["completed"])

        cancelled = create_job(http, user_id="metrics", enable_hitl_confirm=True)
        wait_prompt(http, cancelled, "confirm")
        assert http.post(f"{API}/jobs/{cancelled}/cancel").status_code == 202
        wait_status(http, cancelled, ["cancelled"])

        # An idempotent replay starts nothing: jobs_created does not move.
        key = {"Idempotency-Key": "metrics-once"}
        body = {"task_description": "Summarise a pull request for reviewers", "user_id": "m"}
        first = http.post(f"{API}/skills/create", json=body, headers=key)
        again = http.post(f"{API}/skills/create", json=body, headers=key)
        assert first.status_code == again.status_code == 202
        assert http.get(f"{API}/no-such-route").status_code == 404

        api_text = http.get("/metrics").text
        api = scrape(f"{url}/metrics")

    # API: counters by route template and status; nothing that names a job.
    requests = "skill_fleet_http_requests_total"
    assert total(api, requests, method="POST", route="/api/v2/skills/create",
                 status="202") == 4
    assert total(api, requests, method="GET", route="/api/v2/jobs/{job_id}", status="200") >= 4
    assert total(api, requests, method="POST", route="/api/v2/hitl/{job_id}/response",
                 status="200") == 1
    assert total(api, requests, method="POST", route="/api/v2/jobs/{job_id}/cancel",
                 status="202") == 1
    assert total(api, requests, route="unmatched", status="404") == 1
    assert total(api, "skill_fleet_http_request_duration_seconds_count",
                 route="/api/v2/jobs/{job_id}") >= 4
    assert total(api, "skill_fleet_jobs_created_total") == 3
    for job_id in (done, cancelled, first.json()["job_id"]):
        assert job_id not in api_text

    # Worker: the SDK's own metrics and ours, once the closed workflows are exported.
    wait_until(lambda: total(scrape(worker_url), "temporal_workflow_completed_total") >= 2,
               timeout=30, what="temporal_workflow_completed_total on the worker")
    worker = scrape(worker_url)
    assert total(worker, "temporal_activity_execution_latency_count",
                 activity_type="understand_task") >= 2
    assert total(worker, "temporal_workflow_task_execution_latency_count") > 0
    assert {"temporal_request_total", "temporal_worker_task_slots_available",
            "temporal_activity_schedule_to_start_latency_bucket"} <= names(worker)
    calls = "skill_fleet_author_call_seconds_count"
    assert total(worker, calls, call="understand", outcome="ok", model="offline") >= 2
    assert total(worker, calls, call="generate", outcome="ok") >= 1
    assert total(worker, "skill_fleet_author_call_errors_total") == 0
    # Seconds, with buckets for model calls (the SDK's default buckets stop at 10 s).
    buckets = {s.labels["le"] for s in worker
               if s.name == "skill_fleet_author_call_seconds_bucket"}
    assert {"0.05", "60.0", "300.0"} <= {str(float(b)) for b in buckets if b != "+Inf"}
    assert_job_metrics(worker)


def test_labels_stay_bounded_whatever_the_caller_sends() -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.metrics import job_id_in
    from common.settings import Settings

    job = "0b0e5a3c-6f1d-4e8a-9c2b-7d4f3e2a1b0c"
    assert job_id_in(f"/api/v2/hitl/{job.upper()}/prompt") == job
    assert job_id_in("/api/v2/jobs/not-a-job") is None
    # Temporal is never reached: a malformed job id is a 404 before any call.
    app = create_app(Settings(temporal_address="127.0.0.1:9", open_mode=True,
                              api_keys=None, api_keys_file=None))
    with TestClient(app, base_url="http://localhost", client=("127.0.0.1", 50000)) as client:
        assert client.request("BREW", "/coffee/pot-42").status_code in (404, 405)
        assert client.get("/api/v2/jobs/not-a-job").status_code == 404
        samples = [Sample(s.name, dict(s.labels), s.value) for f in
                   text_string_to_metric_families(client.get("/metrics").text)
                   for s in f.samples]
    requests = "skill_fleet_http_requests_total"
    assert total(samples, requests, method="other", route="unmatched") >= 1
    assert total(samples, requests, method="GET", route="/api/v2/jobs/{job_id}",
                 status="404") >= 1
    routes = {s.labels.get("route") for s in samples if s.name == requests}
    assert not any("pot-42" in r or "not-a-job" in r for r in routes if r)


def assert_job_metrics(worker: Sequence[Sample]) -> None:
    """Workflow-side series recorded by SkillJob through workflows/job_metrics.py."""
    transitions = "skill_fleet_job_transitions_total"
    assert total(worker, transitions, status="completed") >= 2
    assert total(worker, transitions, status="cancelled") == 1
    assert total(worker, transitions, status="pending_hitl") >= 2
    assert total(worker, "skill_fleet_hitl_wait_seconds_count", hitl_type="confirm",
                 outcome="answered") == 1
    phases = "skill_fleet_phase_duration_seconds_count"
    assert total(worker, phases, phase="understanding") >= 3
    assert total(worker, phases, phase="saving") >= 2
    wait_buckets = {float(s.labels["le"]) for s in worker if s.labels.get("le") != "+Inf"
                    and s.name == "skill_fleet_hitl_wait_seconds_bucket"}
    assert 24 * 3600 in wait_buckets  # people answer in hours, not the SDK's 10 s


# ------------------------------------------------------------------ metric buffer tests


def buffered_runtime() -> tuple[Runtime, MetricBuffer]:
    buffer = MetricBuffer(10_000, duration_format=MetricBufferDurationFormat.SECONDS)
    return Runtime(telemetry=TelemetryConfig(metrics=buffer)), buffer


def updates_of(updates: Sequence[BufferedMetricUpdate], name: str) -> list[tuple[dict, float]]:
    return [(dict(u.attributes), u.value) for u in updates if u.metric.name == name]


class RateLimitedAuthor:
    async def understand(self, request: UnderstandInput) -> Understanding:
        raise ApplicationError("429 from the provider", type="RateLimited")

    async def generate(self, request: GenerateInput) -> SkillContent:
        raise TimeoutError("no answer in 120 s")


async def test_author_call_errors_are_counted_by_kind() -> None:
    runtime, buffer = buffered_runtime()
    env = ActivityEnvironment()
    env.metric_meter = runtime.metric_meter
    activities = AuthoringActivities(RateLimitedAuthor())
    with pytest.raises(ApplicationError):
        await env.run(activities.understand_task, UnderstandInput(task_description="x"))
    with pytest.raises(TimeoutError):
        await env.run(activities.generate_skill,
                      GenerateInput(task_description="x", plan=Understanding()))

    updates = buffer.retrieve_updates()
    errors = updates_of(updates, "skill_fleet_author_call_errors")
    assert sorted((a["call"], a["error"], v) for a, v in errors) == [
        ("generate", "TimeoutError", 1), ("understand", "RateLimited", 1)]
    latencies = updates_of(updates, "skill_fleet_author_call_seconds")
    assert sorted((a["call"], a["outcome"]) for a, _ in latencies) == [
        ("generate", "error"), ("understand", "error")]


@workflow.defn(sandboxed=False)
class MeteredJob:
    """Calls every job_metrics function across two workflow tasks."""

    @workflow.run
    async def run(self) -> None:
        clock = job_metrics.PhaseClock()
        job_metrics.record_status("running")
        clock.enter("understanding")
        await workflow.sleep(timedelta(milliseconds=300))
        job_metrics.record_wait("confirm", 0.3)
        clock.enter("generation")
        await workflow.sleep(timedelta(milliseconds=100))
        clock.enter("done")
        job_metrics.record_status("completed")


async def test_job_metrics_are_recorded_once_despite_replays() -> None:
    runtime, buffer = buffered_runtime()
    async with (
        await WorkflowEnvironment.start_local(runtime=runtime,
                                              dev_server_existing_path=temporal_binary(),
                                              dev_server_extra_args=["--log-level", "error"])
        as env,
        # No cache: every workflow task replays the ones before it.
        Worker(env.client, task_queue="metered", workflows=[MeteredJob],
               max_cached_workflows=0, workflow_runner=UnsandboxedWorkflowRunner()),
    ):
        await env.client.execute_workflow(MeteredJob.run, id="metered-job",
                                          task_queue="metered")
    updates = buffer.retrieve_updates()
    statuses = updates_of(updates, job_metrics.JOB_TRANSITIONS)
    assert sorted(a["status"] for a, _ in statuses) == ["completed", "running"]
    phases = updates_of(updates, job_metrics.PHASE_SECONDS)
    assert [a["phase"] for a, _ in phases] == ["understanding", "generation"]
    assert phases[0][1] >= 0.3 and phases[1][1] >= 0.1
    waits = updates_of(updates, job_metrics.HITL_WAIT_SECONDS)
    assert [({k: a[k] for k in ("hitl_type", "outcome", "workflow_type")}, v)
            for a, v in waits] == [({"hitl_type": "confirm", "outcome": "answered",
                                     "workflow_type": "MeteredJob"}, 0.3)]
