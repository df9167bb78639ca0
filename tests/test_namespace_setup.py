"""First contact with a Temporal namespace that lacks our search attributes (real dev servers).

Each test starts `temporal server start-dev` WITHOUT our attributes, like an existing
cluster before setup: the worker and the API refuse to start with the exact command to run
(and that command works), `skill-fleet setup` or the registration setting fixes the
namespace, a wrongly typed attribute is never changed, and an API that met Temporal only
after its start says what is wrong instead of "not reachable".
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client

from common.search_attributes import ALL
from devstack.processes import REPO_ROOT, free_port, python_process, wait_until
from devstack.temporal_server import temporal_binary
from tests.support import API, LocalStack, create_job, wait_status

REGISTER = {"SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES": "true"}


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack whose dev server has none of our search attributes."""
    s = LocalStack(tmp_path)
    try:
        s.start_server(search_attributes=False)
        yield s
    finally:
        s.stop()


def registered(stack: LocalStack) -> dict[str, int]:
    async def list_them() -> dict[str, int]:
        client = await Client.connect(stack.address)
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default"))
        return dict(response.custom_attributes)

    return asyncio.run(list_them())


def temporal(stack: LocalStack, *args: str) -> None:
    subprocess.run([temporal_binary(), "operator", "search-attribute", "create",
                    "--address", stack.address, "--namespace", "default", *args],
                   check=True, capture_output=True, timeout=30)


def skill_fleet(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO_ROOT, text=True,
                          env={**os.environ, **stack.env({})}, capture_output=True, timeout=60)


def refused(stack: LocalStack, what: str, **env: str) -> str:
    """Start the worker or the API, expect it to exit non-zero; its log."""
    log = stack.logs / f"{what}-refused-{time.monotonic_ns()}.log"
    args = (["worker.py"] if what == "worker" else
            ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(free_port())])
    proc = python_process(what, args, env=stack.env(env), log_path=log).start()
    try:
        wait_until(lambda: not proc.running(), timeout=30, what=f"the {what} to refuse")
    finally:
        proc.stop(timeout=5)
    assert proc.proc is not None and proc.proc.returncode != 0
    return log.read_text()


def printed_command(log: str) -> list[str]:
    """The `temporal operator search-attribute create ...` line a refusal printed, runnable."""
    [line] = [x.strip() for x in log.splitlines()
              if x.strip().startswith("temporal operator search-attribute create")]
    return [temporal_binary(), *shlex.split(line)[1:]]


def one_job_completes(stack: LocalStack, **env: str) -> None:
    [url] = stack.start_workers_and_apis(worker_env=env, api_env=env)
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http)
        assert wait_status(http, job_id, ["completed", "failed"])["status"] == "completed"
        assert http.get("/health").json() == {"status": "ok", "temporal": "reachable"}


def test_empty_namespace_worker_refuses_with_the_command_until_setup(bare: LocalStack) -> None:
    log = refused(bare, "worker")
    assert "missing search attributes SkillJobStatus, SkillJobPhase, SkillJobUser, " \
           "SkillJobHitlType, SkillJobHitlDeadline, SkillJobAssignee" in log
    expected = (f"temporal operator search-attribute create --address {bare.address} "
                "--namespace default --name SkillJobStatus --type Keyword")
    assert expected in log and "--name SkillJobHitlDeadline --type Datetime" in log
    assert registered(bare) == {}  # refusing registered nothing

    assert skill_fleet(bare, "setup", "--check").returncode == 1
    done = skill_fleet(bare, "setup")
    assert done.returncode == 0, done.stderr
    assert "Registered SkillJobStatus (Keyword)" in done.stdout
    assert registered(bare) == {k.name: k.indexed_value_type.value for k in ALL}
    one_job_completes(bare)


def test_partial_set_api_refuses_and_the_printed_command_fixes_it(bare: LocalStack) -> None:
    # The four attributes of the first release, without the deadline and the assignee.
    temporal(bare, *[arg for key in ALL[:4] for arg in ("--name", key.name, "--type", "Keyword")])
    log = refused(bare, "api")
    assert "missing search attributes SkillJobHitlDeadline, SkillJobAssignee." in log
    assert "Application startup failed" in log
    command = printed_command(log)
    assert command[-8:] == ["--name", "SkillJobHitlDeadline", "--type", "Datetime",
                            "--name", "SkillJobAssignee", "--type", "Keyword"]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    one_job_completes(bare)


def test_wrong_type_is_an_error_even_with_registration_on(bare: LocalStack) -> None:
    temporal(bare, "--name", "SkillJobUser", "--type", "Int")
    log = refused(bare, "worker", **REGISTER)
    assert "search attribute SkillJobUser is Int, expected Keyword" in log
    assert (f"temporal operator search-attribute remove --address {bare.address} "
            "--namespace default --name SkillJobUser --yes") in log
    assert "search attribute SkillJobUser is Int" in refused(bare, "api", **REGISTER)
    found = registered(bare)
    assert found.pop("SkillJobUser") == 3  # still Int: never re-registered
    assert found == {k.name: k.indexed_value_type.value for k in ALL if k.name != "SkillJobUser"}
    check = skill_fleet(bare, "setup")
    assert check.returncode == 1 and "SkillJobUser is Int, expected Keyword" in check.stderr


def test_fresh_server_with_registration_on_just_works(bare: LocalStack) -> None:
    one_job_completes(bare, **REGISTER)
    assert registered(bare) == {k.name: k.indexed_value_type.value for k in ALL}


def test_api_started_before_temporal_says_what_is_wrong_then_heals(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    port = free_port()
    # Re-checked a second after a misconfigured answer, not 5 s: `setup` heals it either way.
    recheck = {"SKILL_FLEET_NAMESPACE_RECHECK_SECONDS": "1"}
    api = python_process(
        "api", ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port)],
        env=stack.env(recheck), log_path=stack.logs / "api.log").start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            health = _until(http, lambda r: r.status_code == 503)  # up, Temporal is not
            assert health.json() == {"status": "degraded", "temporal": "unreachable"}
            r = http.post(f"{API}/skills/create", json={"task_description": "x" * 20})
            assert r.status_code == 503 and "Temporal is not reachable" in r.json()["error"]

            stack.start_server(search_attributes=False)
            health = http.get("/health")
            assert health.status_code == 503
            assert health.json()["temporal"] == "misconfigured"
            assert health.json()["detail"].startswith(
                "namespace misconfigured: missing search attributes SkillJobStatus, ")
            r = http.post(f"{API}/skills/create", json={"task_description": "x" * 20})
            body = r.json()
            assert r.status_code == 503 and set(body) == {"error", "request_id"}
            assert body["error"].startswith("Temporal namespace misconfigured: missing search "
                                            "attributes SkillJobStatus")
            assert "not reachable" not in body["error"]

            assert skill_fleet(stack, "setup").returncode == 0  # heals without a restart
            assert _until(http, lambda r: r.status_code == 200, within=15).json()["temporal"] \
                == "reachable"
            job_id = create_job(http)  # no worker needed to start a job ...
            r = http.get(f"{API}/jobs/{job_id}/events", params={"format": "json"})
            assert r.status_code == 503  # ... but one is needed to read its events
            assert r.json()["error"].startswith("No worker is polling task queue 'skill-fleet'")
    finally:
        api.stop(timeout=5)
        stack.stop()
    assert "checked at first contact" in (stack.logs / "api.log").read_text()


def _until(http: httpx.Client, ok: Callable[[httpx.Response], bool],
           within: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        try:
            r = http.get("/health")
            if ok(r) or time.monotonic() > deadline:
                return r
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
