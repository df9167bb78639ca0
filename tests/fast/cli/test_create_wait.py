"""`create` asks the server to hold its reply (`?wait=`) for the job's first prompt when it
follows a job that stops for a human, and `follow` asks that prompt without reading the job
again. The job is scripted (tests/fast/cli/fakes.py), the API app is the real one.
"""

from __future__ import annotations

import json

import httpx
import pytest

from cli.client import ApiClient
from cli.create_hold import CREATE_WAIT_SECONDS
from cli.exits import ExitCode
from cli.follow import follow
from tests.fast.cli.conftest import AppTransport, Cli, ServeApi
from tests.fast.cli.fakes import TASK, FakeGateway, FakeJob, Step, make_prompt, make_view
from tests.fast.cli.test_interactive import Typist
from workflows.models import HitlType, JobStatus, Phase

CLARIFY = make_prompt(HitlType.CLARIFY)
RAISED = ("prompt_raised", {"prompt_id": 1, "type": "clarify", "summary": CLARIFY.summary})
QUEUED = Step(
    make_view(status=JobStatus.PENDING, current_phase=Phase.QUEUED), [("job_started", {})]
)
DONE = Step(
    make_view(status=JobStatus.COMPLETED),
    [("phase_started", {"phase": "generation"}), ("completed", {})],
)


class Recording(httpx.BaseTransport):
    """The app's transport, keeping each request's method, path and query."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, dict(request.url.params)))
        return self.inner.handle_request(request)


@pytest.fixture
def recording(serve_api: ServeApi, monkeypatch: pytest.MonkeyPatch) -> Recording:
    transport = Recording(AppTransport(serve_api()))
    monkeypatch.setattr(
        "cli.main.ApiClient",
        lambda base_url, api_key: ApiClient(base_url, api_key, transport=transport),
    )
    return transport


def _creates(recording: Recording) -> list[dict[str, str]]:
    return [q for m, path, q in recording.sent if m == "POST" and path.endswith("/create")]


@pytest.mark.parametrize(
    ("args", "params"),
    [
        (["--wait", "--confirm"], {"wait": str(CREATE_WAIT_SECONDS)}),
        (["--wait", "--review"], {"wait": str(CREATE_WAIT_SECONDS)}),
        (["--wait"], {}),  # no checkpoint: followed on the stream at once, progress and all
        (["--no-wait", "--confirm"], {}),  # a script wants the id now
    ],
)
def test_create_holds_its_reply_only_to_follow_a_checkpoint(
    runner: Cli, fake: FakeGateway, recording: Recording, args: list[str], params: dict[str, str]
) -> None:
    fake.next_job = FakeJob(
        [QUEUED, Step(make_view(), [("phase_started", {"phase": "understanding"})]), DONE]
    )
    result = runner("create", TASK, *args, "--json")
    assert result.exit_code == 0, result.stderr
    assert _creates(recording) == [params]
    created = json.loads(result.stdout)
    if "--wait" in args:  # followed to the end, every step shown on stderr as before
        assert created["status"] == "completed"
        assert result.stderr.splitlines()[:2] == ["job started", "→ Understanding the task"]
    else:
        assert set(created) == {"job_id", "status"}  # as before: no prompt without a wait


def test_the_prompt_of_the_reply_is_asked_without_reading_the_job(
    api_client: ApiClient, fake: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.next_job = FakeJob(
        [
            QUEUED,
            Step(make_view(prompt=CLARIFY), [RAISED]),
            Step(
                DONE.view,
                [("answer_accepted", {"prompt_id": 1, "action": "proceed"}), *DONE.events],
            ),
        ]
    )
    created = api_client.create_job(TASK, confirm=True, wait=CREATE_WAIT_SECONDS)
    assert created.status is JobStatus.PENDING_USER_INPUT and created.prompt == CLARIFY
    reads: list[str] = []
    real_job = api_client.job
    monkeypatch.setattr(api_client, "job", lambda job_id: reads.append(job_id) or real_job(job_id))
    typist = Typist("commit messages", "1", "n", "2", "")  # the answers, then proceed
    code, view = follow(
        api_client, created.job_id, typist, attach=False, interactive=True, known=[created.prompt]
    )
    assert code is ExitCode.OK and view is not None and view.status is JobStatus.COMPLETED
    assert [a.prompt_id for a in fake.answers] == [1]
    # the job is read when following starts and when it ended, not to see the prompt
    assert reads == [created.job_id, created.job_id]


def test_ctrl_c_while_the_reply_is_held_names_the_job_to_attach_to(
    runner: Cli, fake: FakeGateway, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job keeps running; the create sent again with the same key names it, no other."""
    real_create = ApiClient.create_job

    def interrupted(self: ApiClient, *args: object, **fields: object) -> object:
        created = real_create(self, *args, **fields)  # type: ignore[arg-type]
        if fields.get("wait"):
            raise KeyboardInterrupt
        return created

    monkeypatch.setattr(ApiClient, "create_job", interrupted)
    fake.next_job = FakeJob([QUEUED, Step(make_view(prompt=CLARIFY), [RAISED])])
    result = runner("create", TASK, "--wait", "--confirm")
    assert result.exit_code == ExitCode.DETACHED, result.stdout
    first, again = fake.started
    assert first.job_id == again.job_id
    assert _creates(recording) == [{"wait": str(CREATE_WAIT_SECONDS)}, {}]
    assert (
        f"Detached. Job {first.job_id} keeps running; attach with skill-fleet attach "
        f"{first.job_id}" in result.stdout
    )
