"""Exit codes scripts branch on (cli/exits.py), from the server's real answers to each failure.

Each case goes through the real API app (auth, validation, error handlers) with the
gateway faked, so a change of status code on either side shows up here.
"""

from __future__ import annotations

from functools import partial

import httpx
import pytest

from api.errors import ApiError
from cli.client import ApiClient
from devstack.processes import free_port
from tests.fast.cli.conftest import ADMIN_KEY, KEY, Cli, exits_with
from tests.fast.cli.fakes import (
    JOB_ID,
    MISSING_JOB,
    TASK,
    FakeGateway,
    FakeJob,
    Step,
    finished_job,
    make_view,
)
from workflows.models import JobStatus

JOB_COMMANDS = [["show"], ["cancel"], ["attach"], ["respond", "--action", "proceed"],
                ["promote"], ["show", "--json"]]


def use_transport(monkeypatch: pytest.MonkeyPatch, handler: httpx.MockTransport) -> None:
    """Replace the API with a canned HTTP answer (proxies, old servers, timeouts)."""
    monkeypatch.setattr("cli.main.ApiClient", partial(ApiClient, transport=handler))


@pytest.mark.parametrize("job_id", [MISSING_JOB, "not-a-job"])
@pytest.mark.parametrize("command", JOB_COMMANDS, ids=" ".join)
def test_unknown_job_exits_5(cli: Cli, job_id: str, command: list[str]) -> None:
    exits_with(cli(command[0], job_id, *command[1:]), 5, f"error: no such job: {job_id}")


def test_another_users_job_is_not_found(keyed_cli: Cli, fake: FakeGateway) -> None:
    """Ids do not leak across users: bob's job is 'no such job' to alice, shown to an admin."""
    fake.add(finished_job(user_id="bob"))
    exits_with(keyed_cli("--api-key", KEY, "show", JOB_ID), 5, "no such job")
    assert keyed_cli("--api-key", ADMIN_KEY, "show", JOB_ID).exit_code == 0


@pytest.mark.parametrize("args", [
    ["jobs"], ["show", JOB_ID], ["skills", "--json"], ["create", TASK, "--no-wait", "--json"],
    ["respond", JOB_ID, "--action", "proceed"], ["cancel", JOB_ID], ["promote", JOB_ID],
    ["attach", JOB_ID],
], ids=lambda a: a[0])
def test_server_down_exits_3(runner: Cli, monkeypatch: pytest.MonkeyPatch,
                             args: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused at once
    monkeypatch.setenv("SKILL_FLEET_API_URL", url)
    exits_with(runner(*args), 3, f"cannot reach the skill-fleet API at {url}", "make run",
         "hint: set SKILL_FLEET_API_URL")


def test_api_url_option_beats_the_environment(runner: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    exits_with(runner("--api-url", url + "/", "jobs"), 3, f"API at {url} ")


def test_slow_api_exits_3(runner: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    use_transport(monkeypatch, httpx.MockTransport(slow))
    exits_with(runner("show", JOB_ID), 3, "did not answer in time")


def test_unavailable_api_exits_3(cli: Cli, fake: FakeGateway) -> None:
    fake.fail["view"] = ApiError(503, "Temporal is not reachable or did not answer in time")
    exits_with(cli("show", JOB_ID), 3, "the API at http://localhost:8765 is unavailable: "
                                 "Temporal is not reachable")


def test_proxy_error_page_exits_3(runner: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-JSON 502 from a proxy still reads as 'unavailable', with its reason phrase."""
    use_transport(monkeypatch, httpx.MockTransport(
        lambda request: httpx.Response(502, text="<html>bad gateway</html>")))
    exits_with(runner("jobs"), 3, "is unavailable: Bad Gateway")


@pytest.mark.parametrize(("status", "body"), [(404, {"detail": "Not Found"}),
                                               (405, {"error": "Method Not Allowed"})])
def test_older_server_without_the_endpoint_exits_5(runner: Cli, monkeypatch: pytest.MonkeyPatch,
                                                   status: int, body: dict[str, str]) -> None:
    use_transport(monkeypatch, httpx.MockTransport(
        lambda request: httpx.Response(status, json=body)))
    exits_with(runner("jobs"), 5, "this API server has no GET /api/v2/jobs endpoint "
                            "(is it older than the CLI?)")


def test_missing_api_key_exits_4(keyed_cli: Cli) -> None:
    exits_with(keyed_cli("jobs"), 4, "the API key was refused: Missing API key",
         "hint: set SKILL_FLEET_API_KEY")


def test_wrong_api_key_exits_4(keyed_cli: Cli) -> None:
    exits_with(keyed_cli("jobs", SKILL_FLEET_API_KEY="nope"), 4, "the API key was refused: "
         "Invalid API key", "hint: check SKILL_FLEET_API_KEY")


def test_forbidden_exits_4(keyed_cli: Cli, fake: FakeGateway) -> None:
    """A plain user may not force a failed skill in, nor create jobs as someone else."""
    fake.add(finished_job(user_id="alice"))
    exits_with(keyed_cli("promote", JOB_ID, "--force", SKILL_FLEET_API_KEY=KEY), 4,
         "not allowed: force=true")
    exits_with(keyed_cli("create", TASK, "--no-wait", "--user", "bob", SKILL_FLEET_API_KEY=KEY), 4,
         "not allowed: Your API key belongs to 'alice'")
    assert fake.promotions == [] and fake.started == []


def test_cancel_finished_job_exits_6(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job(status=JobStatus.CANCELLED))
    exits_with(cli("cancel", JOB_ID), 6, "The job has already finished (cancelled)")


@pytest.mark.parametrize(("status", "reason", "code"), [
    (400, None, 6),  # not completed, or the promotion window closed
    (400, "no_draft", 6),
    (400, "validation_failed", 1),
    (409, "TargetExists", 6),
    (409, "NameTaken", 6),
    (422, "UnsafePath", 2),
])
def test_promote_refusals(cli: Cli, fake: FakeGateway, status: int, reason: str | None,
                          code: int) -> None:
    fake.add(finished_job())
    fake.fail["promote"] = ApiError(status, f"refused ({reason})", reason=reason)
    exits_with(cli("promote", JOB_ID), code, f"error: refused ({reason})")


@pytest.mark.parametrize(("args", "message"), [
    (["create", "too short", "--no-wait"], "task_description: String should have at least 10"),
    (["create", TASK, "--no-wait", "--user", "no spaces"], "user_id: String should match"),
])
def test_request_the_api_rejects_exits_2(cli: Cli, fake: FakeGateway, args: list[str],
                                         message: str) -> None:
    exits_with(cli(*args), 2, message)
    assert fake.started == []


@pytest.mark.parametrize(("args", "message"), [
    ([], "Usage: skill-fleet"),
    (["bogus"], "No such command 'bogus'"),
    (["create"], "Missing argument 'task'"),
    (["create", TASK, "--hitl-timeout", "0"], "--hitl-timeout"),
    (["create", TASK, "--on-hitl-timeout", "later"], "--on-hitl-timeout"),
    (["jobs", "--status", "bogus"], "--status"),
    (["jobs", "--phase", "bogus"], "--phase"),
    (["jobs", "--limit", "0"], "--limit"),
    (["jobs", "--limit", "501"], "--limit"),
    (["respond", JOB_ID], "Missing option '--action'"),
    (["respond", JOB_ID, "--action", "approve"], "--action"),
    (["respond", JOB_ID, "--action", "proceed", "--prompt-id", "0"], "--prompt-id"),
    (["respond", JOB_ID, "--action", "revise"],
         "--feedback (or an edit) is required with"),
    (["validate"], "Missing argument 'path'"),
    (["validate", "/no/such/skill"], "does not exist"),
])
def test_usage_errors_exit_2_before_any_request(cli: Cli, fake: FakeGateway, args: list[str],
                                                message: str) -> None:
    fake.add(FakeJob([Step(make_view())]))
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert message in result.stdout + result.stderr
    assert fake.answers == [] and fake.started == [] and fake.listed == []
