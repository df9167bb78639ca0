"""Crashes and restarts of every process: the job carries on where it was."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client

from devstack.processes import wait_until
from tests.sse import follow_like_an_eventsource
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
from workflows import names

TASK = "Convert CSV exports from the billing system into monthly revenue charts"


def test_worker_killed_while_waiting_and_while_working(own_stack: LocalStack) -> None:
    own_stack.start_server()
    [url] = own_stack.start_workers_and_apis(
        worker_env={"SKILL_FLEET_OFFLINE_DELAY_SECONDS": "2"})
    [worker] = own_stack.workers
    with httpx.Client(base_url=url, timeout=30) as http:
        waiting = create_job(http, TASK, enable_hitl_confirm=True)
        prompt = wait_prompt(http, waiting, "confirm")
        working = create_job(http, TASK)
        wait_job(http, working, lambda j: j["status"] == "running"
                 and j["current_phase"] == "understanding")
        wait_until(lambda: _understand_attempt(own_stack, working) == 1, timeout=30,
                   what="the understand activity started")

        # One SIGKILL meets both: a job waiting at a checkpoint and one whose activity runs.
        # (One kill, not two in turn: the running activity's retry waits for its heartbeat
        # timeout, 10 s, which then overlaps the waiting job's takeover below.)
        worker.kill()
        # the waiting job's prompt is still readable ...
        assert get_job(http, waiting)["prompt"]["prompt_id"] == prompt["prompt_id"]
        # ... and an answer with no worker fails fast and says it can be retried
        started = time.monotonic()
        r = answer(http, waiting, prompt["prompt_id"], action="proceed", response_id="after-kill")
        assert r.status_code == 503, r.text
        assert time.monotonic() - started < 10
        assert r.json()["details"]["response_id"] == "after-kill"

        # A new worker takes over once the dead one's sticky queue times out (1 s in the
        # test stack); clients retry with the same response_id, which is applied once.
        own_stack.start_worker()
        r = _answer_until_taken(http, waiting, prompt["prompt_id"], "after-kill")
        assert r.status_code == 200, r.text

        # the killed activity is retried on the new worker; both jobs finish
        for job_id in (waiting, working):
            job = wait_status(http, job_id, ["completed", "failed", "cancelled"], timeout=90)
            assert job["status"] == "completed", job.get("error")
            assert (own_stack.on_disk(job["draft_path"]) / "SKILL.md").exists()
        assert _understand_attempt(own_stack, working) == 2  # retried, not run twice at once


def test_api_restart_between_reading_and_answering(own_stack: LocalStack) -> None:
    own_stack.start_server()
    [url] = own_stack.start_workers_and_apis()
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http, TASK, enable_hitl_preview=True)
        prompt = wait_prompt(http, job_id, "preview")
    own_stack.apis[0].kill()
    url = own_stack.start_api(port=own_stack.api_ports[0])
    with httpx.Client(base_url=url, timeout=30) as http:
        assert answer(http, job_id, prompt["prompt_id"], action="proceed").status_code == 200
        assert wait_status(http, job_id, ["completed"])["validation_passed"] is True


def test_temporal_server_restart_on_the_same_db(own_stack: LocalStack) -> None:
    own_stack.start_server()
    [url] = own_stack.start_workers_and_apis()
    with httpx.Client(base_url=url, timeout=30) as http, ThreadPoolExecutor(1) as pool:
        job_id = create_job(http, TASK, enable_hitl_confirm=True)
        prompt = wait_prompt(http, job_id, "confirm")
        # Someone follows the job's events through the restart.
        stream = pool.submit(follow_like_an_eventsource, url, job_id, within=180)
        time.sleep(1.0)

        own_stack.stop_server(kill=True)
        started = time.monotonic()
        assert http.get("/health").status_code == 503
        r = answer(http, job_id, prompt["prompt_id"], action="proceed")
        assert r.status_code == 503, r.text
        assert time.monotonic() - started < 15

        own_stack.start_server()  # same SQLite file; the worker and API reconnect by themselves
        assert http.get("/health").status_code == 200
        assert get_job(http, job_id)["prompt"]["prompt_id"] == prompt["prompt_id"]
        r = _answer_until_taken(http, job_id, prompt["prompt_id"], "srv")
        assert r.status_code == 200, r.text
        job = wait_status(http, job_id, ["completed", "failed"], timeout=60)
        assert job["status"] == "completed", job.get("error")
        wait_listed(http, job_id, status="completed")

        # It saw every event exactly once, in order, up to the end.
        followed = stream.result(timeout=200)
        log = http.get(f"{API}/jobs/{job_id}/events", params={"format": "json"}).json()
        assert [m.json() for m in followed] == log["events"]
        assert followed[-1].event == "completed"


def _understand_attempt(stack: LocalStack, job_id: str) -> int | None:
    """The attempt of the job's understand activity that started last (None: not started)."""
    async def attempt() -> int | None:
        client = await Client.connect(stack.address)
        started = understand = None
        async for e in client.get_workflow_handle(job_id).fetch_history_events():
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled = e.activity_task_scheduled_event_attributes.activity_type.name
                understand = e.event_id if scheduled == names.ACTIVITY_UNDERSTAND else None
            elif (e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED and understand
                  and e.activity_task_started_event_attributes.scheduled_event_id == understand):
                started = e.activity_task_started_event_attributes.attempt
        if started is None:  # a running attempt is in the description, not yet in history
            desc = await client.get_workflow_handle(job_id).describe()
            for p in desc.raw_description.pending_activities:
                if (p.activity_type.name == names.ACTIVITY_UNDERSTAND
                        and p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED):
                    started = p.attempt
        return started

    return asyncio.run(attempt())


def wait_listed(http: httpx.Client, job_id: str, **params: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        listed = http.get(f"{API}/jobs", params=params).json()["jobs"]
        if job_id in {j["job_id"] for j in listed}:
            return
        time.sleep(0.2)
    raise AssertionError(f"{job_id} not listed with {params}")


def _answer_until_taken(http: httpx.Client, job_id: str, prompt_id: int,
                        response_id: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        r = answer(http, job_id, prompt_id, action="proceed", response_id=response_id)
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        time.sleep(0.5)
