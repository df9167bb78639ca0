"""Following a job without a terminal: `create --wait` and `attach`, over the real SSE route.

The job is scripted (tests/fast/cli/fakes.py); the CLI reads it through the API's event
stream, so replay on attach, the terminal event and the outcome's exit code are the
CLI's own logic on the server's real stream.
"""

from __future__ import annotations

import json

import httpx
import pytest

from api.errors import ApiError
from cli import events
from cli.client import ApiClient
from tests.fast.cli.conftest import API_URL, AppTransport, Cli, ServeApi
from tests.fast.cli.fakes import (
    JOB_ID,
    TASK,
    FakeGateway,
    FakeJob,
    Step,
    finished_job,
    make_prompt,
    make_view,
)
from workflows.models import HitlType, JobStatus, Phase

CLARIFY = make_prompt(HitlType.CLARIFY)
RAISED = ("prompt_raised", {"prompt_id": 1, "type": "clarify", "summary": CLARIFY.summary})


def journey(*end: Step) -> FakeJob:
    """Queued, then planning, then `end` (the steps that finish the job)."""
    return FakeJob([
        Step(make_view(status=JobStatus.PENDING, current_phase=Phase.QUEUED),
             [("job_started", {})]),
        Step(make_view(), [("phase_started", {"phase": "understanding"}),
                           ("phase_output", {"skill_name": "git-commit-messages",
                                             "taxonomy_path": "development/git-commit-messages"})]),
        *end])


def ends(status: JobStatus, **fields: object) -> Step:
    return Step(make_view(status=status, **fields),
                [("phase_started", {"phase": "generation"}), ("version_created", {"version": 1}),
                 ("validated", {"passed": fields.get("validation_passed", True),
                                "score": fields.get("validation_score", 0.91)}),
                 (status.value, {})])


def test_create_wait_json_follows_to_the_end(cli: Cli, fake: FakeGateway) -> None:
    fake.next_job = journey(ends(JobStatus.COMPLETED))
    result = cli("create", TASK, "--wait", "--json")
    assert result.exit_code == 0, result.stderr
    job = json.loads(result.stdout)  # stdout holds only the final job
    [started] = fake.started
    assert job["job_id"] == started.job_id and job["status"] == "completed"
    progress = result.stderr.splitlines()
    assert progress[:6] == [
        "job started", "→ Understanding the task",
        "  plan: git-commit-messages (development/git-commit-messages)",
        "→ Writing the skill", "  draft version 1", "  validation passed (score 0.91)"]
    assert progress[6:] == [
        "✔ Completed: git-commit-messages — validation passed (score 0.91)",
        f"  draft: _drafts/{started.job_id}/git-commit-messages",
        f"  promote it with: skill-fleet promote {started.job_id}"]


def test_create_wait_human_output(cli: Cli, fake: FakeGateway) -> None:
    fake.next_job = journey(ends(JobStatus.COMPLETED, validation_passed=False,
                                 validation_score=0.5))
    result = cli("create", TASK, "--wait")
    assert result.exit_code == 0 and result.stderr == ""
    [started] = fake.started
    assert result.stdout.startswith(f"Created job {started.job_id}\njob started\n")
    assert "✔ Completed: git-commit-messages — validation did not pass (score 0.50)" in (
        result.stdout)


@pytest.mark.parametrize(("status", "fields", "code", "line"), [
    (JobStatus.FAILED, {"error": "model quota exceeded"}, 1, "Failed: model quota exceeded"),
    (JobStatus.CANCELLED, {"progress_message": "Cancelled by the user"}, 7,
     "Cancelled: Cancelled by the user"),
])
def test_create_wait_exit_code_is_the_outcome(cli: Cli, fake: FakeGateway, status: JobStatus,
                                              fields: dict[str, object], code: int,
                                              line: str) -> None:
    fake.next_job = journey(ends(status, validation_passed=False, **fields))
    result = cli("create", TASK, "--wait", "--json")
    assert result.exit_code == code, result.stderr
    assert json.loads(result.stdout)["status"] == status.value
    assert result.stderr.splitlines()[-1] == line


def test_waiting_prompt_is_announced_with_how_to_answer(cli: Cli, fake: FakeGateway) -> None:
    """Without a terminal nothing is asked: the prompt is named once, then it times out."""
    fake.next_job = journey(
        Step(make_view(prompt=CLARIFY), [RAISED], moves_on=True),
        Step(make_view(status=JobStatus.CANCELLED, last_prompt_id=1,
                       progress_message="No answer before the deadline"),
             [("prompt_timed_out", {"prompt_id": 1, "timeout_action": "cancel"}),
              ("cancelled", {})]))
    result = cli("create", TASK, "--wait")
    assert result.exit_code == 7, result.stdout
    [started] = fake.started
    job = started.job_id
    lines = result.stdout.splitlines()
    assert lines[-5:] == [
        "? 4 question(s) about the task",
        f"Waiting for an answer to clarify (prompt 1). Answer with: skill-fleet attach {job}  "
        f"or  skill-fleet respond {job} --action proceed|cancel",
        f"  or in the browser: {API_URL}/ui/jobs/{job}",  # the API the CLI talks to
        "⏱ prompt 1 timed out → cancel",
        "Cancelled: No answer before the deadline"]


@pytest.mark.parametrize(("status", "code", "last"), [
    (JobStatus.COMPLETED, 0, f"  promote it with: skill-fleet promote {JOB_ID}"),
    (JobStatus.FAILED, 1, "Failed: boom"),
    (JobStatus.CANCELLED, 7, "Cancelled: Cancelled by the user"),
])
def test_attach_to_a_finished_job_replays_quietly(cli: Cli, fake: FakeGateway,
                                                   status: JobStatus, code: int,
                                                   last: str) -> None:
    fake.add(finished_job(status=status, error="boom" if status is JobStatus.FAILED else None,
                          progress_message="Cancelled by the user"))
    result = cli("attach", JOB_ID)
    assert result.exit_code == code
    lines = result.stdout.splitlines()
    assert lines[0] == f"Attached to job {JOB_ID}: {TASK}"
    assert lines[-1] == last
    assert "→" not in result.stdout  # history is not re-told


def test_attach_json_prints_only_the_job(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job(status=JobStatus.CANCELLED))
    result = cli("attach", JOB_ID, "--json")
    assert result.exit_code == 7
    assert json.loads(result.stdout)["status"] == "cancelled"
    assert result.stderr.startswith(f"Attached to job {JOB_ID}")


def test_attach_to_a_waiting_job_announces_its_prompt(cli: Cli, fake: FakeGateway) -> None:
    """The replayed prompt_raised is still pending, so it is named; then someone answers."""
    fake.add(FakeJob([
        Step(make_view(prompt=CLARIFY), [("job_started", {}), RAISED], moves_on=True),
        Step(make_view(status=JobStatus.COMPLETED),
             [("answer_accepted", {"prompt_id": 1, "action": "proceed"}), ("completed", {})])]))
    result = cli("attach", JOB_ID)
    assert result.exit_code == 0, result.stdout
    out = result.stdout
    assert f"Waiting for an answer to clarify (prompt 1). Answer with: skill-fleet attach " \
           f"{JOB_ID}" in out
    assert "? 4 question(s)" not in out  # the replayed event itself stays quiet
    assert "✓ answer accepted: proceed" in out and "✔ Completed" in out


@pytest.mark.parametrize(("status", "code"), [(404, 5), (403, 4), (409, 6)])
def test_stream_error_ends_with_its_exit_code(cli: Cli, fake: FakeGateway, status: int,
                                              code: int) -> None:
    fake.add(finished_job())
    fake.fail["fetch_events"] = ApiError(status, "the log is gone")
    result = cli("attach", JOB_ID)
    assert result.exit_code == code
    assert result.stderr == "error: the event stream stopped: the log is gone\n"


def test_stream_outage_is_retried(cli: Cli, fake: FakeGateway,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Temporal away for a moment: the CLI says it retries, then follows to the end."""
    monkeypatch.setattr(events.time, "sleep", lambda seconds: None)
    fake.add(finished_job())
    fake.stream_outages = 2
    result = cli("attach", JOB_ID)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("retrying ...") == 1  # said once per outage, not per attempt
    assert "the API at http://localhost:8765 is unavailable: Temporal is not reachable" in (
        result.stdout)
    assert "✔ Completed" in result.stdout


class WithoutStream(httpx.BaseTransport):
    """An older server: the event stream is an unknown route."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(404, json={"error": "Not Found"})
        return self.inner.handle_request(request)


@pytest.fixture
def old_server(serve_api: ServeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    client = serve_api()

    def make(base_url: str, api_key: str | None) -> ApiClient:
        return ApiClient(base_url, api_key, transport=WithoutStream(AppTransport(client)))

    monkeypatch.setattr("cli.main.ApiClient", make)


@pytest.mark.usefixtures("old_server")
def test_attach_to_a_server_without_the_stream_says_so(runner: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job())
    result = runner("attach", JOB_ID)
    assert result.exit_code == 5
    assert "has no GET /api/v2/jobs/" in result.stderr
    assert "endpoint (is it older than the CLI?)" in result.stderr
