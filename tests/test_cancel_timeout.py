"""Cancel at any moment, and what happens when nobody answers before the deadline."""

from __future__ import annotations

import time

import httpx

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

TASK = "Draft release notes from a list of merged pull requests in a repository"


def test_cancel_at_a_checkpoint(http: httpx.Client, stack: LocalStack) -> None:
    job_id = create_job(http, TASK, user_id="cancel", enable_hitl_confirm=True)
    wait_prompt(http, job_id, "confirm")
    r = http.post(f"{API}/jobs/{job_id}/cancel")
    assert r.status_code == 202, r.text
    job = wait_status(http, job_id, ["cancelled", "completed", "failed"])
    assert job["status"] == "cancelled"
    assert job["prompt"] is None and job["draft_path"] is None
    assert not (stack.skills_root / "_drafts" / job_id).exists()
    again = http.post(f"{API}/jobs/{job_id}/cancel")
    assert again.status_code == 409


def test_cancel_by_answer(http: httpx.Client) -> None:
    job_id = create_job(http, TASK, user_id="cancel", enable_hitl_preview=True)
    prompt = wait_prompt(http, job_id, "preview")
    r = answer(http, job_id, prompt["prompt_id"], action="cancel")
    assert r.status_code == 200
    job = wait_status(http, job_id, ["cancelled"])
    assert "preview" in job["progress_message"]


def test_cancel_during_an_activity(own_stack: LocalStack) -> None:
    own_stack.start_server()
    own_stack.start_worker(SKILL_FLEET_OFFLINE_DELAY_SECONDS="20")
    url = own_stack.start_api()
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http, TASK)
        wait_job(http, job_id, lambda j: j["current_phase"] == "understanding"
                 and j["status"] == "running")
        started = time.monotonic()
        assert http.post(f"{API}/jobs/{job_id}/cancel").status_code == 202
        job = wait_status(http, job_id, ["cancelled", "completed", "failed"], timeout=15)
        # the activity would have run 20 s; the heartbeat carried the cancel in seconds
        assert job["status"] == "cancelled"
        assert time.monotonic() - started < 15
        assert not (own_stack.skills_root / "_drafts" / job_id).exists()


def test_timeout_cancels_by_default(http: httpx.Client) -> None:
    job_id = create_job(http, TASK, user_id="timeout", enable_hitl_confirm=True,
                        hitl_timeout_seconds=2)
    prompt = wait_prompt(http, job_id, "confirm")
    assert prompt["deadline"] > prompt["created_at"]
    job = wait_status(http, job_id, ["cancelled", "completed"], timeout=30)
    assert job["status"] == "cancelled"
    assert "deadline" in job["progress_message"]


def test_timeout_can_proceed(http: httpx.Client) -> None:
    job_id = create_job(http, "Help me with stuff please", user_id="timeout",
                        enable_hitl_confirm=True, hitl_timeout_seconds=1,
                        on_hitl_timeout="proceed")
    job = wait_status(http, job_id, ["cancelled", "completed", "failed"], timeout=40)
    assert job["status"] == "completed", job.get("error")
    # clarify was answered with defaults, confirm accepted as is
    assert job["clarifications"]["output"] == "guide"
    assert get_job(http, job_id)["validation_passed"] is True
