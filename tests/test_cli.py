"""The `skill-fleet` command run as a subprocess against the real local stack.

Plain (non-terminal) invocations: JSON shapes and the exit codes scripts rely on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.answers import AnswerError, parse_answers
from cli.client import ApiClient
from cli.events import EventFeed, _parse_sse
from devstack.processes import free_port
from tests.support import LocalStack, create_job, wait_prompt, wait_status

CLEAR_TASK = "Write commit messages for git repositories following the conventional commits format"
VAGUE_TASK = "Help me with stuff please"
SCRIPT = Path(sys.executable).parent / "skill-fleet"
MISSING_JOB = "00000000-0000-4000-8000-000000000000"


def cli_command() -> list[str]:
    """The installed console script; `python -m cli` if the venv has none."""
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cli"]


def run_cli(api_url: str, *args: str, key: str | None = None,
            timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_FLEET_")}
    env.update(SKILL_FLEET_API_URL=api_url, COLUMNS="200")
    if key:
        env["SKILL_FLEET_API_KEY"] = key
    return subprocess.run([*cli_command(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_create_no_wait_json_returns_at_once(api_url: str, http: httpx.Client) -> None:
    created = ok_json(run_cli(api_url, "create", CLEAR_TASK, "--no-wait", "--json",
                              "--user", "cli-create"))
    assert set(created) == {"job_id", "status"}
    assert created["status"] == "pending"
    job = wait_status(http, created["job_id"], ["completed"])
    assert job["user_id"] == "cli-create"


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
    assert set(page) == {"jobs", "next_page_token"}
    ids = [j["job_id"] for j in page["jobs"]]
    assert job_id in ids
    assert {"job_id", "status", "current_phase", "user_id"} <= set(page["jobs"][0])
    filtered = ok_json(run_cli(api_url, "jobs", "--status", "cancelled", "--user",
                               "cli-lister", "--json"))
    assert job_id not in [j["job_id"] for j in filtered["jobs"]]
    table = run_cli(api_url, "jobs", "--user", "cli-lister")
    assert table.returncode == 0 and job_id in table.stdout

    shown = ok_json(run_cli(api_url, "show", job_id, "--json"))
    assert shown["job_id"] == job_id and shown["status"] == "completed"
    assert shown["draft_path"] and shown["prompt"] is None
    panel = run_cli(api_url, "show", job_id)
    assert panel.returncode == 0 and "completed" in panel.stdout


@pytest.mark.parametrize("job_id", [MISSING_JOB, "not-a-job"])
def test_not_found_exits_5(api_url: str, job_id: str) -> None:
    for args in (["show", job_id], ["cancel", job_id], ["attach", job_id],
                 ["respond", job_id, "--action", "proceed"]):
        result = run_cli(api_url, *args)
        assert result.returncode == 5, (args, result.stderr)
        assert "no such job" in result.stderr


def test_server_down_exits_3() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["jobs"], ["show", MISSING_JOB], ["skills", "--json"],
                 ["create", CLEAR_TASK, "--no-wait", "--json"]):
        result = run_cli(url, *args, timeout=30)
        assert result.returncode == 3, (args, result.stderr)
        assert "cannot reach the skill-fleet API" in result.stderr
        assert "make run" in result.stderr
        assert result.stdout == ""


def test_respond_answers_each_checkpoint_and_refuses_bad_input(
        api_url: str, http: httpx.Client) -> None:
    job_id = create_job(http, VAGUE_TASK, enable_hitl_confirm=True)
    wait_prompt(http, job_id, "clarify")

    # answers are typed by the prompt's questions; unreadable ones are usage errors
    bad = run_cli(api_url, "respond", job_id, "--action", "proceed",
                  "--answer", "examples=maybe")
    assert bad.returncode == 2, bad.stderr
    unknown = run_cli(api_url, "respond", job_id, "--action", "proceed", "--answer", "nope=1")
    assert unknown.returncode == 2 and "subject" in unknown.stderr
    ack = ok_json(run_cli(api_url, "respond", job_id, "--action", "proceed", "--json",
                          "--answer", "subject=python pull requests",
                          "--answer", "output=checklist", "--answer", "examples=true"))
    assert ack["prompt_id"] == 1 and ack["action"] == "proceed"
    assert ack["status"] in ("running", "pending_hitl")

    prompt = wait_prompt(http, job_id, "confirm")
    assert http.get(f"/api/v2/jobs/{job_id}").json()["clarifications"] == {
        "subject": "python pull requests", "output": "checklist", "examples": True}
    stale = run_cli(api_url, "respond", job_id, "--action", "proceed", "--prompt-id", "1")
    assert stale.returncode == 6, stale.stderr
    no_feedback = run_cli(api_url, "respond", job_id, "--action", "revise")
    assert no_feedback.returncode == 2
    done = run_cli(api_url, "respond", job_id, "--action", "proceed")
    assert done.returncode == 0, done.stderr
    assert f"prompt {prompt['prompt_id']}" in done.stdout

    wait_status(http, job_id, ["completed"])
    finished = run_cli(api_url, "respond", job_id, "--action", "proceed")
    assert finished.returncode == 6 and "not waiting" in finished.stderr


def test_cancel_then_attach_reports_cancelled(api_url: str, http: httpx.Client) -> None:
    job_id = create_job(http, VAGUE_TASK)
    wait_prompt(http, job_id, "clarify")
    result = ok_json(run_cli(api_url, "cancel", job_id, "--json"))
    assert result == {"job_id": job_id, "status": "cancelling"}
    wait_status(http, job_id, ["cancelled"])
    again = run_cli(api_url, "cancel", job_id)
    assert again.returncode == 6, again.stderr
    # attach replays the history and ends with the job's outcome
    attached = run_cli(api_url, "attach", job_id)
    assert attached.returncode == 7, attached.stderr + attached.stdout
    assert "Cancelled" in attached.stdout


def test_promote_skills_and_offline_validate(api_url: str, http: httpx.Client,
                                             tmp_path: Path, stack: LocalStack) -> None:
    job_id = create_job(http, "Format SQL queries for PostgreSQL migrations consistently")
    job = wait_status(http, job_id, ["completed"])

    promoted = ok_json(run_cli(api_url, "promote", job_id, "--json"))
    assert promoted["status"] == "promoted" and promoted["job_id"] == job_id
    final = stack.on_disk(promoted["final_path"])
    assert (final / "SKILL.md").is_file()
    assert promoted["taxonomy_path"] == job["intended_taxonomy_path"]
    exists = run_cli(api_url, "promote", job_id, "--no-overwrite")
    assert exists.returncode == 6, exists.stderr

    skills = ok_json(run_cli(api_url, "skills", "--json"))
    assert any(s["taxonomy_path"] == promoted["taxonomy_path"] for s in skills)
    assert {"taxonomy_path", "name", "description", "path"} <= set(skills[0])

    report = ok_json(run_cli(api_url, "validate", str(final), "--json"))
    assert report["passed"] is True and report["score"] >= 0.75
    assert run_cli(api_url, "validate", str(final / "SKILL.md")).returncode == 0
    bad = tmp_path / "Bad Skill"
    bad.mkdir()
    (bad / "SKILL.md").write_text("---\nname: x\n---\nhi\n")
    failed = run_cli(api_url, "validate", str(bad))
    assert failed.returncode == 1 and "FAILED" in failed.stdout
    assert run_cli(api_url, "validate", str(tmp_path / "missing")).returncode == 2


def test_api_keys_refused_exit_4(stack: LocalStack, api_url: str) -> None:
    from api.auth import hash_key

    keys = json.dumps([{"key_sha256": hash_key("cli-secret"), "user_id": "alice"}])
    url = stack.start_api(SKILL_FLEET_API_KEYS=keys)
    missing = run_cli(url, "jobs")
    assert missing.returncode == 4 and "API key was refused" in missing.stderr
    wrong = run_cli(url, "jobs", key="nope")
    assert wrong.returncode == 4
    mine = ok_json(run_cli(url, "jobs", "--mine", "--json", key="cli-secret"))
    assert all(j["user_id"] == "alice" for j in mine["jobs"])


@pytest.mark.parametrize("mode", ["sse", "page", "view"])
def test_event_feed_modes_reach_the_terminal_event(api_url: str, http: httpx.Client,
                                                   mode: str) -> None:
    """The polling fallbacks (servers without SSE) see the same journey end."""
    job_id = create_job(http, CLEAR_TASK)
    wait_status(http, job_id, ["completed"])
    with ApiClient(api_url) as client:
        feed = EventFeed(client, job_id, replay_until=10**6, poll_interval=0.1)
        feed.mode = mode  # type: ignore[assignment]
        events = list(feed.events())
    assert feed.mode == mode  # no fallback: this server has every endpoint
    kinds = [e.kind for e in events]
    assert kinds[0] == "job_started" and kinds[-1] == "completed"
    assert all(e.replayed for e in events)
    if mode != "view":
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert "phase_started" in kinds and "validated" in kinds


def test_sse_parser_skips_heartbeats_and_joins_data_lines() -> None:
    lines = [": ping", "", "id: 1", "event: job_started", "data: {\"a\":", "data: 1}", "",
             ": keepalive", "", "id: 2", "event: completed", "data: {}"]
    assert list(_parse_sse(iter(lines))) == [
        ("1", "job_started", '{"a":\n1}'), ("2", "completed", "{}")]


def test_answers_are_typed_by_their_question() -> None:
    questions = {
        "examples": {"id": "examples", "question_type": "boolean"},
        "topics": {"id": "topics", "question_type": "multi",
                   "options": [{"id": "a"}, {"id": "b"}]},
        "output": {"id": "output", "question_type": "single", "allows_other": True,
                   "options": [{"id": "guide"}]},
        "subject": {"id": "subject", "question_type": "text"},
    }
    assert parse_answers(["examples=no", "topics=a, b", "output=poster", "subject=x=y"],
                         questions) == {"examples": False, "topics": ["a", "b"],
                                        "output": "poster", "subject": "x=y"}
    for bad in (["examples=maybe"], ["topics=c"], ["nope=1"], ["novalue"]):
        with pytest.raises(AnswerError):
            parse_answers(bad, questions)
