"""The `skill-fleet` command run as a subprocess against the real local stack.

A few journeys that only a real process on a real stack proves: create to completion,
list and show, answers through checkpoints, promotion, and a refused connection. The
matrices (each exit code, each checkpoint type, parse errors, rendering) run in-process
in tests/fast/cli.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from cli.client import ApiClient
from cli.events import EventFeed
from devstack.processes import free_port
from tests.support import LocalStack, create_job, wait_prompt, wait_status

CLEAR_TASK = "Write commit messages for git repositories following the conventional commits format"
VAGUE_TASK = "Help me with stuff please"
SCRIPT = Path(sys.executable).parent / "skill-fleet"
MISSING_JOB = "00000000-0000-4000-8000-000000000000"


def cli_command() -> list[str]:
    """The installed console script; `python -m cli` if the venv has none."""
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cli"]


def run_cli(api_url: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_FLEET_")}
    env.update(SKILL_FLEET_API_URL=api_url, COLUMNS="200")
    return subprocess.run([*cli_command(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_create_wait_json_without_terminal_follows_to_the_end(
    api_url: str, stack: LocalStack
) -> None:
    result = run_cli(api_url, "create", CLEAR_TASK, "--wait", "--json")
    job = ok_json(result)  # stdout holds only the final job; progress went to stderr
    assert job["status"] == "completed"
    assert stack.on_disk(job["draft_path"]).is_dir()
    assert "Completed" in result.stderr


def test_jobs_and_show(api_url: str, http: httpx.Client) -> None:
    job_id = create_job(http, CLEAR_TASK, user_id="cli-lister")
    wait_status(http, job_id, ["completed"])

    page = ok_json(run_cli(api_url, "jobs", "--user", "cli-lister", "--json"))
    assert job_id in [j["job_id"] for j in page["jobs"]]
    shown = ok_json(run_cli(api_url, "show", job_id, "--json"))
    assert shown["job_id"] == job_id and shown["status"] == "completed"
    assert shown["draft_path"] and shown["prompt"] is None
    # A well-formed id Temporal does not know: the real gateway's 404, exit code 5.
    missing = run_cli(api_url, "show", MISSING_JOB)
    assert missing.returncode == 5 and "no such job" in missing.stderr


def test_server_down_exits_3() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli(url, "jobs", timeout=30)
    assert result.returncode == 3, result.stderr
    assert "cannot reach the skill-fleet API" in result.stderr and "make run" in result.stderr
    assert result.stdout == ""


def test_respond_through_clarify_and_confirm(api_url: str, http: httpx.Client) -> None:
    job_id = create_job(http, VAGUE_TASK, enable_hitl_confirm=True)
    wait_prompt(http, job_id, "clarify")

    # answers are typed by the prompt's questions (the boolean arrives as a boolean)
    ack = ok_json(run_cli(api_url, "respond", job_id, "--action", "proceed", "--json",
                          "--answer", "subject=python pull requests",
                          "--answer", "output=checklist", "--answer", "examples=true"))
    assert ack["prompt_id"] == 1 and ack["action"] == "proceed"
    assert ack["status"] in ("running", "pending_hitl")

    prompt = wait_prompt(http, job_id, "confirm")
    assert http.get(f"/api/v2/jobs/{job_id}").json()["clarifications"] == {
        "subject": "python pull requests", "output": "checklist", "examples": True}
    done = run_cli(api_url, "respond", job_id, "--action", "proceed")
    assert done.returncode == 0, done.stderr
    assert f"prompt {prompt['prompt_id']}" in done.stdout
    wait_status(http, job_id, ["completed"])


def test_promote_then_skills(api_url: str, http: httpx.Client, stack: LocalStack) -> None:
    job_id = create_job(http, "Format SQL queries for PostgreSQL migrations consistently")
    job = wait_status(http, job_id, ["completed"])

    promoted = ok_json(run_cli(api_url, "promote", job_id, "--json"))
    assert promoted["status"] == "promoted" and promoted["job_id"] == job_id
    assert (stack.on_disk(promoted["final_path"]) / "SKILL.md").is_file()
    assert promoted["taxonomy_path"] == job["intended_taxonomy_path"]

    skills = ok_json(run_cli(api_url, "skills", "--json"))
    assert any(s["taxonomy_path"] == promoted["taxonomy_path"] for s in skills)


def test_event_feed_replays_a_finished_job_to_its_terminal_event(
        api_url: str, http: httpx.Client) -> None:
    """Attaching to a job that has ended: its whole history, marked replayed, then the end."""
    job_id = create_job(http, CLEAR_TASK)
    wait_status(http, job_id, ["completed"])
    with ApiClient(api_url) as client:
        feed = EventFeed(client, job_id, replay_until=10**6, poll_interval=0.1)
        events = list(feed.events())
    kinds = [e.kind for e in events]
    assert kinds[0] == "job_started" and kinds[-1] == "completed"
    assert all(e.replayed for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert "phase_started" in kinds and "validated" in kinds
