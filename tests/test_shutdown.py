"""Shutdown: SIGTERM ends the API quickly and lets a worker finish what it runs.

The original hung on shutdown while jobs waited for a human. Here:
- the API exits within 5 s of SIGTERM with jobs waiting for humans and an SSE stream open,
  started exactly as the Dockerfile (no graceful timeout) and as compose (10 s) start it;
- a worker exits promptly with jobs waiting for humans, and on SIGTERM while activities run
  it lets them finish (within its graceful timeout) before exiting; a new worker then
  completes every job: nothing lost, nothing run twice.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from devstack.processes import free_port, http_ok, python_process, wait_until
from tests.support import (
    API,
    LocalStack,
    answer,
    create_job,
    running_stack,
    wait_job,
    wait_prompt,
    wait_status,
)
from workflows import names

TASK = "Convert CSV exports from the billing system into monthly revenue charts"


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> float | None:
    """Seconds until the process exited, or None if it is still running after `timeout`."""
    started = time.monotonic()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic() - started


class _Stream(threading.Thread):
    """Reads an SSE stream until it ends; records the frames and how it ended."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.status: int | None = None
        self.lines: list[str] = []
        self.ended: str | None = None
        self.opened = threading.Event()

    def run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(30, connect=5)) as client,
                client.stream("GET", self.url) as r,
            ):
                self.status = r.status_code
                self.opened.set()
                for line in r.iter_lines():
                    self.lines.append(line)
            self.ended = "closed"
        except httpx.HTTPError as err:
            self.ended = f"error: {err!r}"
        finally:
            self.opened.set()


@pytest.fixture(scope="module")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A server and a worker for the API shutdown cases: each starts and stops its own API
    (the only process it signals), so the cases share them instead of starting them twice."""
    with running_stack(tmp_path_factory.mktemp("api-shutdown"), api=False) as s:
        yield s


@pytest.mark.parametrize("graceful", [None, "10"], ids=["dockerfile-cmd", "compose-10s"])
def test_api_sigterm_exits_within_5s_with_waiting_jobs_and_an_open_stream(
    shared_stack: LocalStack, graceful: str | None
) -> None:
    port = free_port()
    args = ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)]
    if graceful:
        args += ["--timeout-graceful-shutdown", graceful]
    log_path = shared_stack.logs / f"api-shutdown-{graceful or 'none'}.log"
    api = python_process("api-shutdown", args, env=shared_stack.env({}), log_path=log_path).start()
    shared_stack.apis.append(api)  # stopped by the fixture if the test fails
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{url}/health"), timeout=30, what="API", proc=api.proc)

    with httpx.Client(base_url=url, timeout=30) as http:
        waiting = [
            create_job(http, TASK, user_id="shutdown", enable_hitl_confirm=True) for _ in range(2)
        ]
        for job_id in waiting:
            wait_prompt(http, job_id, "confirm")
        probe = http.get(f"{API}/jobs/{waiting[0]}/events", params={"format": "json"})
    streams: list[_Stream] = []
    assert probe.status_code == 200, probe.text
    for job_id in waiting:
        stream = _Stream(f"{url}{API}/jobs/{job_id}/events")
        stream.start()
        assert stream.opened.wait(15)
        streams.append(stream)
    wait_until(
        lambda: all(any(ln.startswith("event: prompt_raised") for ln in s.lines) for s in streams),
        timeout=15,
        what="streams replayed",
    )
    assert all(s.status == 200 and s.ended is None for s in streams)

    assert api.proc is not None
    api.proc.send_signal(signal.SIGTERM)
    took = _wait_exit(api.proc, 5.0)
    assert took is not None, (
        f"API still running 5 s after SIGTERM (graceful={graceful}); log tail:\n"
        + log_path.read_text(errors="replace")[-2000:]
    )
    for s in streams:
        s.join(5)
        assert s.ended is not None, "the SSE client still hangs after the API exited"
    print(
        f"API exited {took:.2f}s after SIGTERM (graceful={graceful}); streams: "
        f"{[s.ended for s in streams]}"
    )


async def _pending_started(client: Client, job_id: str, activity: str) -> bool:
    desc = await client.get_workflow_handle(job_id).describe()
    return any(
        p.activity_type.name == activity
        and p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for p in desc.raw_description.pending_activities
    )


async def _activity_runs(client: Client, job_id: str, activity: str) -> list[dict[str, Any]]:
    """Each scheduled `activity` with its attempts and how it ended, from history."""
    runs: dict[int, dict[str, Any]] = {}
    async for e in client.get_workflow_handle(job_id).fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = e.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == activity:
                runs[e.event_id] = {"scheduled": e.event_id}
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = e.activity_task_started_event_attributes
            if attrs.scheduled_event_id in runs:
                runs[attrs.scheduled_event_id]["attempt"] = attrs.attempt
                runs[attrs.scheduled_event_id]["identity"] = attrs.identity
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs = e.activity_task_completed_event_attributes
            if attrs.scheduled_event_id in runs:
                runs[attrs.scheduled_event_id]["completed_at"] = e.event_time.ToDatetime(tzinfo=UTC)
                runs[attrs.scheduled_event_id]["completed_by"] = attrs.identity
    return list(runs.values())


def test_worker_sigterm_finishes_running_activities_then_a_new_worker_completes(
    own_stack: LocalStack,
) -> None:
    own_stack.start_server()
    slow = {
        "SKILL_FLEET_OFFLINE_DELAY_SECONDS": "3",
        "SKILL_FLEET_WORKER_GRACEFUL_SHUTDOWN_SECONDS": "10",
    }
    [url] = own_stack.start_workers_and_apis(worker_env=slow)
    [worker] = own_stack.workers
    client = asyncio.run(Client.connect(own_stack.address, data_converter=pydantic_data_converter))

    with httpx.Client(base_url=url, timeout=30) as http:
        # Jobs waiting for a human do not hold a worker up.
        waiting = create_job(http, TASK, user_id="shutdown", enable_hitl_confirm=True)
        prompt = wait_prompt(http, waiting, "confirm", timeout=60)
        # Jobs whose first activity (3 s) is running right now.
        working = [create_job(http, TASK, user_id="shutdown") for _ in range(3)]
        wait_until(
            lambda: all(
                asyncio.run(_pending_started(client, j, names.ACTIVITY_UNDERSTAND)) for j in working
            ),
            timeout=30,
            what="activities started",
        )

        assert worker.proc is not None
        sigterm_at = datetime.now(UTC)
        worker.proc.send_signal(signal.SIGTERM)
        took = _wait_exit(worker.proc, 10 + 5)
        exited_at = datetime.now(UTC)
        assert took is not None, "worker still running 15 s after SIGTERM (graceful 10 s)"
        print(f"worker exited {took:.2f}s after SIGTERM")

        # Each running activity finished on the old worker, once, before it exited.
        for job_id in working:
            runs = asyncio.run(_activity_runs(client, job_id, names.ACTIVITY_UNDERSTAND))
            first = runs[0]
            assert first.get("attempt") == 1, runs
            assert "completed_at" in first, (
                f"{job_id}: the activity running at SIGTERM did not finish: {runs}"
            )
            assert sigterm_at <= first["completed_at"], runs
            # Server and test share the clock; allow for its millisecond rounding.
            assert (first["completed_at"] - exited_at).total_seconds() < 0.5, (
                f"activity completed after the worker exited: {runs}"
            )

        # A new worker takes everything over; nothing was lost. (It need not be slow: what
        # it runs is checked for retries below, not caught mid-run.)
        own_stack.start_worker()
        deadline = time.monotonic() + 60
        while True:
            r = answer(
                http, waiting, prompt["prompt_id"], action="proceed", response_id="after-sigterm"
            )
            if r.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert r.status_code == 200, r.text
        for job_id in [waiting, *working]:
            job = wait_status(http, job_id, ["completed", "failed", "cancelled"], timeout=120)
            assert job["status"] == "completed", job.get("error")
            assert (own_stack.on_disk(job["draft_path"]) / "SKILL.md").is_file()
            runs = asyncio.run(_activity_runs(client, job_id, names.ACTIVITY_UNDERSTAND))
            assert all(r.get("attempt") == 1 for r in runs), (
                f"{job_id}: an activity was retried after the graceful shutdown: {runs}"
            )
        wait_job(http, waiting, lambda j: j["prompt"] is None, timeout=5)
