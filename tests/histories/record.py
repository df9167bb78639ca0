"""Record the histories that guard replay safety: `uv run python -m tests.histories.record`.

Runs complete journeys (every checkpoint type, revisions, rewinds, reminders,
webhooks, cancels, timeouts, promotion) on a fresh local stack and writes each
workflow's history as JSON next to this file. `tests/fast/test_replay.py` replays
them against the current workflow code, so a change that is not replay-safe
fails CI. Refresh only after a deliberate, patched change (see the README).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.loopback_server import LoopbackServer, QuietHandler
from tests.support import API, LocalStack, answer, create_job, wait_job, wait_prompt, wait_status

HERE = Path(__file__).resolve().parent
TASK = "Review Terraform plans for risky infrastructure changes before they are applied"
VAGUE = "Help me with stuff please"


def all_checkpoints(http: httpx.Client) -> str:
    job = create_job(http, VAGUE, enable_hitl_confirm=True, enable_hitl_preview=True,
                     enable_hitl_review=True)
    p = wait_prompt(http, job, "clarify")
    answer(http, job, p["prompt_id"], action="proceed",
           answers={"subject": "terraform plans", "output": "checklist", "examples": True})
    p = wait_prompt(http, job, "confirm")
    answer(http, job, p["prompt_id"], action="revise", feedback="Cover state drift.")
    p = wait_job(http, job, lambda j: (j.get("prompt") or {}).get("prompt_id") == 3)["prompt"]
    answer(http, job, p["prompt_id"], action="proceed")
    p = wait_prompt(http, job, "preview")
    # Answers that hold the reply for the next prompt (`?wait=`): a timer in the update.
    r = http.post(f"{API}/hitl/{job}/response", params={"wait": 30},
                  json={"prompt_id": p["prompt_id"], "action": "refine",
                        "feedback": "Add an example."})
    p = r.json()["prompt"]
    assert p["prompt_id"] == 5, r.text
    answer(http, job, p["prompt_id"], action="proceed")
    p = wait_prompt(http, job, "validate")
    r = http.post(f"{API}/hitl/{job}/response", params={"wait": 30},
                  json={"prompt_id": p["prompt_id"], "action": "proceed"})
    assert r.json()["status"] == "completed", r.text
    r = http.post(f"{API}/drafts/{job}/promote", json={})
    assert r.status_code == 200, r.text
    return job


def structure_fix(http: httpx.Client) -> str:
    job = create_job(http, "Create a skill named Claude-Helper that formats SQL queries "
                           "for readability in code reviews")
    p = wait_prompt(http, job, "structure_fix")
    answer(http, job, p["prompt_id"], action="proceed", accept_suggestions=True)
    wait_status(http, job, ["completed"])
    return job


def rewind(http: httpx.Client) -> str:
    job = create_job(http, TASK, enable_hitl_confirm=True, enable_hitl_preview=True)
    p = wait_prompt(http, job, "confirm")
    answer(http, job, p["prompt_id"], action="proceed")
    wait_prompt(http, job, "preview")
    r = http.post(f"{API}/jobs/{job}/rewind", json={
        "to": "understanding", "edits": {"skill_name": "terraform-plan-review"}})
    assert r.status_code == 200, r.text
    p = wait_prompt(http, job, "confirm")
    answer(http, job, p["prompt_id"], action="proceed")
    p = wait_prompt(http, job, "preview")
    r = http.post(f"{API}/jobs/{job}/rewind", json={"to": "validation"})
    assert r.status_code == 200, r.text
    wait_status(http, job, ["completed"])
    return job


def cancel_by_answer(http: httpx.Client) -> str:
    job = create_job(http, TASK, enable_hitl_preview=True)
    p = wait_prompt(http, job, "preview")
    answer(http, job, p["prompt_id"], action="cancel")
    wait_status(http, job, ["cancelled"])
    return job


def cancel_by_request(http: httpx.Client) -> str:
    job = create_job(http, TASK, enable_hitl_confirm=True)
    wait_prompt(http, job, "confirm")
    http.post(f"{API}/jobs/{job}/cancel")
    wait_status(http, job, ["cancelled"])
    return job


def timeout_cancel(http: httpx.Client) -> str:
    job = create_job(http, TASK, enable_hitl_confirm=True, hitl_timeout_seconds=4)
    wait_status(http, job, ["cancelled"], timeout=60)
    return job


def timeout_proceed_with_reminders(http: httpx.Client) -> str:
    job = create_job(http, VAGUE, enable_hitl_confirm=True, hitl_timeout_seconds=4,
                     on_hitl_timeout="proceed")
    wait_status(http, job, ["completed"], timeout=60)
    return job


def _receiver() -> LoopbackServer:
    calls = {"n": 0}

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            calls["n"] += 1
            self.send_response(500 if calls["n"] <= 2 else 204)
            self.end_headers()

    return LoopbackServer(Handler, "/hook")


JOURNEYS: dict[str, Callable[[httpx.Client], str]] = {
    "all_checkpoints": all_checkpoints,
    "structure_fix": structure_fix,
    "rewind": rewind,
    "cancel_by_answer": cancel_by_answer,
    "cancel_by_request": cancel_by_request,
    "timeout_cancel": timeout_cancel,
    "timeout_proceed_with_reminders": timeout_proceed_with_reminders,
}


async def _export(address: str, jobs: dict[str, str]) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    for name, job_id in jobs.items():
        history = await client.get_workflow_handle(job_id).fetch_history()
        (HERE / f"{name}.json").write_text(history.to_json())
        print(f"wrote {name}.json ({len(history.events)} events)")


def main() -> None:
    receiver = _receiver()
    with tempfile.TemporaryDirectory() as tmp:
        stack = LocalStack(Path(tmp))
        try:
            stack.start_server()
            hook = receiver.url
            stack.start_worker(SKILL_FLEET_WEBHOOK_SECRET="record-secret",
                               SKILL_FLEET_WEBHOOK_URL=hook)
            url = stack.start_api(
                SKILL_FLEET_HITL_REMINDERS="3s,1s", SKILL_FLEET_HITL_ESCALATE_BEFORE="2s",
                SKILL_FLEET_WEBHOOK_URL=hook)
            with httpx.Client(base_url=url, timeout=30) as http:
                jobs = {name: journey(http) for name, journey in JOURNEYS.items()}
            asyncio.run(_export(stack.address, jobs))
        finally:
            stack.stop()
            receiver.close()


if __name__ == "__main__":
    main()
