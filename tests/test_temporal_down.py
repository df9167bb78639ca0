"""Temporal goes down under a running stack: writes fail fast with a 503 and a message, reads
that need Temporal too, nothing hangs, and work resumes where it was when it comes back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support import (
    API,
    LocalStack,
    answer,
    assert_error_shape,
    create_job,
    wait_prompt,
    wait_status,
)

TASK = "Review Python pull requests for security issues and missing tests"


def _until_not_503(call: Any, within: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        r = call()
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


def test_temporal_down_writes_fail_fast_and_work_resumes(own_stack: LocalStack) -> None:
    own_stack.start_server()
    [url] = own_stack.start_workers_and_apis()
    api = own_stack.apis[0]
    with httpx.Client(base_url=url, timeout=30) as http:
        parked = create_job(http, TASK, user_id="down", enable_hitl_confirm=True)
        prompt = wait_prompt(http, parked, "confirm")
        watched = http.get(f"{API}/jobs/{parked}").json()  # read: the API watches it
        unread = create_job(http, TASK, user_id="down-unread")  # never read: not watched

        own_stack.stop_server(kill=True)
        calls = [
            ("POST", f"{API}/skills/create", {"task_description": TASK, "user_id": "down"}, {}),
            (
                "POST",
                f"{API}/skills/create",
                {"task_description": TASK},
                {"Idempotency-Key": "down-key"},
            ),
            (
                "POST",
                f"{API}/hitl/{parked}/response",
                {"prompt_id": prompt["prompt_id"], "action": "proceed", "response_id": "down-1"},
                {},
            ),
            ("POST", f"{API}/jobs/{parked}/cancel", None, {}),
            ("POST", f"{API}/jobs/{parked}/rewind", {"to": "understanding"}, {}),
            ("GET", f"{API}/jobs/{unread}", None, {}),
            ("GET", f"{API}/jobs", None, {}),
            ("GET", f"{API}/hitl/pending", None, {}),
        ]

        def timed(call: tuple[str, str, Any, dict[str, str]]) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            r = http.request(call[0], call[1], json=call[2], headers=call[3])
            return r, time.monotonic() - started

        with ThreadPoolExecutor(len(calls)) as pool:  # at once: each takes seconds
            results = list(pool.map(timed, calls))
        for call, (r, took) in zip(calls, results, strict=True):
            assert_error_shape(r, 503)
            # Eight at once on two cores: the tighter bound is checked one at a time below.
            assert took < 12, (call[:2], took)
        assert http.get("/health").status_code == 503
        # A watched job's reads end with its watch, whose long-poll fails with the
        # connection; until then they show the job as it was (nothing changes while the
        # server is down), then say that Temporal is unreachable.
        deadline = time.monotonic() + 5
        while (r := http.get(f"{API}/jobs/{parked}")).status_code == 200:
            assert r.json() == watched
            assert time.monotonic() < deadline, "a watched job still read 5 s into the outage"
            time.sleep(0.05)
        assert_error_shape(r, 503)
        assert http.get(f"{API}/hitl/config").status_code == 200  # no Temporal needed
        assert api.running()

        # One at a time, a write fails within the RPC timeout (3 s in the stack) + slack.
        seconds: dict[str, float] = {}
        for name, write in [
            ("create", lambda: http.post(f"{API}/skills/create", json={"task_description": TASK})),
            ("answer", lambda: answer(http, parked, prompt["prompt_id"], action="proceed")),
        ]:
            started = time.monotonic()
            assert_error_shape(write(), 503)
            seconds[name] = time.monotonic() - started
        assert max(seconds.values()) < 3 + 1.5, seconds

        own_stack.start_server()  # same DB; neither the API nor the worker restarts
        r = _until_not_503(
            lambda: http.post(
                f"{API}/hitl/{parked}/response",
                json={
                    "prompt_id": prompt["prompt_id"],
                    "action": "proceed",
                    "response_id": "down-1",
                },
            )
        )
        assert r.status_code == 200, r.text
        fresh = _until_not_503(
            lambda: http.post(
                f"{API}/skills/create",
                json={"task_description": TASK, "user_id": "down", "enable_hitl_preview": True},
            )
        )
        assert fresh.status_code == 202, fresh.text
        fresh_id = fresh.json()["job_id"]
        preview = wait_prompt(http, fresh_id, "preview")
        r = _until_not_503(
            lambda: answer(
                http, fresh_id, preview["prompt_id"], action="proceed", response_id="down-2"
            )
        )
        assert r.status_code == 200, r.text
        for job_id in (parked, fresh_id):
            job = wait_status(http, job_id, ["completed", "failed", "cancelled"], timeout=90)
            assert job["status"] == "completed", job.get("error")
            assert (own_stack.on_disk(job["draft_path"]) / "SKILL.md").is_file()
        assert api.running() and all(w.running() for w in own_stack.workers)
        assert len(own_stack.apis) == 1 and len(own_stack.workers) == 1
