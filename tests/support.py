"""A real local stack for tests: Temporal dev server, worker and API as child processes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from devstack.launcher import StackLauncher
from skill_store.library import JOB_MARKER
from tests.skeleton import SKELETON_PASS_THRESHOLD

API = "/api/v2"


class LocalStack(StackLauncher):
    """One Temporal server (its own SQLite file), workers and API instances, all restartable."""

    def __init__(self, root: Path, *, worker_env: dict[str, str] | None = None,
                 api_env: dict[str, str] | None = None) -> None:
        super().__init__(root, worker_env=worker_env, api_env=api_env)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return super().env({
            "SKILL_FLEET_RPC_TIMEOUT_SECONDS": "3",
            "SKILL_FLEET_WORKER_GRACEFUL_SHUTDOWN_SECONDS": "2",
            # A killed worker's jobs go to another worker after 1 s, not the default 10 s.
            "SKILL_FLEET_WORKER_STICKY_QUEUE_TIMEOUT_SECONDS": "1",
            # An API started without keys runs open on loopback; keys in `extra` win.
            "SKILL_FLEET_OPEN_MODE": "1",
            "SKILL_FLEET_PASS_THRESHOLD": str(SKELETON_PASS_THRESHOLD),
            **(extra or {}),
        })

    def on_disk(self, path: str) -> Path:
        """A path the API returns (relative to the skills root) as a folder on disk."""
        return (self.skills_root / path).resolve()


@contextmanager
def running_stack(root: Path, *, api: bool = True) -> Iterator[LocalStack]:
    """A started stack (server, one worker and, unless `api=False`, one API), stopped after
    even when the body fails."""
    stack = LocalStack(root)
    try:
        stack.start_server()
        if api:
            stack.start_workers_and_apis()
        else:
            stack.start_worker()
        yield stack
    finally:
        stack.stop()


# ------------------------------------------------------------------------ HTTP helpers


def create_job(http: httpx.Client, task: str = "Write commit messages for git repositories "
               "following the conventional commits format", **fields: Any) -> str:
    r = http.post(f"{API}/skills/create", json={"task_description": task, **fields})
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


def get_job(http: httpx.Client, job_id: str) -> dict[str, Any]:
    r = http.get(f"{API}/jobs/{job_id}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_job(http: httpx.Client, job_id: str, until: Callable[[dict[str, Any]], bool],
             timeout: float = 60.0, what: str = "condition") -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = get_job(http, job_id)
        if until(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}: {what} not reached in {timeout}s; last state: "
                         f"status={job.get('status')} phase={job.get('current_phase')} "
                         f"prompt={(job.get('prompt') or {}).get('type')}")


def wait_status(http: httpx.Client, job_id: str, statuses: Iterable[str],
                timeout: float = 60.0) -> dict[str, Any]:
    wanted = set(statuses)
    return wait_job(http, job_id, lambda j: j["status"] in wanted, timeout,
                    what=f"status in {sorted(wanted)}")


def wait_prompt(http: httpx.Client, job_id: str, hitl_type: str,
                timeout: float = 60.0) -> dict[str, Any]:
    job = wait_job(http, job_id, lambda j: (j.get("prompt") or {}).get("type") == hitl_type
                   or j["status"] in ("completed", "failed", "cancelled"),
                   timeout, what=f"prompt {hitl_type}")
    assert job.get("prompt") and job["prompt"]["type"] == hitl_type, (
        f"expected prompt {hitl_type}, job is {job['status']} with error {job.get('error')}")
    return job["prompt"]


def answer(http: httpx.Client, job_id: str, prompt_id: int, **body: Any) -> httpx.Response:
    return http.post(f"{API}/hitl/{job_id}/response", json={"prompt_id": prompt_id, **body})


def assert_error_shape(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    """The API's error body: one of `statuses`, a message, the request's id."""
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert body["request_id"] == r.headers["X-Request-ID"], body
    return body


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file in a skill folder except our provenance marker."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != JOB_MARKER
    }


def index_of(stack_root: Path) -> dict[str, Any]:
    """The skill library's taxonomy index (path -> entry)."""
    return json.loads((stack_root / "taxonomy_index.json").read_text())
