"""Cancel at a checkpoint, and what happens when nobody answers before the deadline.

One real journey per behaviour. The variants are in tests/fast/workflow: cancel by answer
and cancel while an activity runs (test_answers.py), the cancel-by-default timeout
(test_deadlines.py); a timeout that cancels also ends the nudge journey in
test_reminders_webhooks_rewind.py.
"""

from __future__ import annotations

import httpx

from tests.support import (
    API,
    LocalStack,
    create_job,
    get_job,
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


def test_timeout_can_proceed(http: httpx.Client) -> None:
    job_id = create_job(http, "Help me with stuff please", user_id="timeout",
                        enable_hitl_confirm=True, hitl_timeout_seconds=1,
                        on_hitl_timeout="proceed")
    job = wait_status(http, job_id, ["cancelled", "completed", "failed"], timeout=40)
    assert job["status"] == "completed", job.get("error")
    # clarify was answered with defaults, confirm accepted as is
    assert job["clarifications"]["output"] == "guide"
    assert get_job(http, job_id)["validation_passed"] is True
