"""A real local stack for tests: Temporal dev server, worker and API as child processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx

from devstack.processes import ManagedProcess, free_port, http_ok, python_process, wait_until
from devstack.temporal_server import TemporalDevServer, wait_for_namespace
from tests.skeleton import SKELETON_PASS_THRESHOLD

API = "/api/v2"


class LocalStack:
    """One Temporal server (its own SQLite file), workers and API instances, all restartable."""

    def __init__(self, root: Path, *, worker_env: dict[str, str] | None = None,
                 api_env: dict[str, str] | None = None) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.skills_root = root / "skills"
        self.skills_root.mkdir(exist_ok=True)
        self.db_file = root / "temporal.db"
        self.temporal_port = free_port()
        self.server: TemporalDevServer | None = None
        self.workers: list[ManagedProcess] = []
        self.apis: list[ManagedProcess] = []
        self.api_ports: list[int] = []
        self.worker_env = worker_env or {}
        self.api_env = api_env or {}

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "SKILL_FLEET_TEMPORAL_ADDRESS": self.address,
            "SKILL_FLEET_SKILLS_ROOT": str(self.skills_root),
            "SKILL_FLEET_RPC_TIMEOUT_SECONDS": "3",
            "SKILL_FLEET_WORKER_GRACEFUL_SHUTDOWN_SECONDS": "2",
            # A killed worker's jobs go to another worker after 1 s, not the default 10 s.
            "SKILL_FLEET_WORKER_STICKY_QUEUE_TIMEOUT_SECONDS": "1",
            # An API started without keys runs open on loopback; keys in `extra` win.
            "SKILL_FLEET_OPEN_MODE": "1",
            "SKILL_FLEET_PASS_THRESHOLD": str(SKELETON_PASS_THRESHOLD),
            **extra,
        }

    # -- Temporal server
    def start_server(self, *, search_attributes: bool = True) -> None:
        """`search_attributes=False`: a namespace without ours (tests of the setup path)."""
        self.server = TemporalDevServer(self.db_file, self.temporal_port,
                                        log_path=self.logs / "temporal.log",
                                        search_attributes=search_attributes)
        self.server.start_and_wait()
        asyncio.run(wait_for_namespace(self.address))

    def on_disk(self, path: str) -> Path:
        """A path the API returns (relative to the skills root) as a folder on disk."""
        return (self.skills_root / path).resolve()

    def stop_server(self, *, kill: bool = False) -> None:
        if self.server:
            self.server.kill() if kill else self.server.stop()

    # -- workers
    def start_worker(self, **env: str) -> ManagedProcess:
        worker = self._spawn_worker(env)
        self._wait_worker(worker)
        return worker

    def _spawn_worker(self, env: dict[str, str]) -> ManagedProcess:
        n = len(self.workers)
        worker = python_process(f"worker{n}", ["worker.py"],
                                env=self.env({**self.worker_env, **env}),
                                log_path=self.logs / f"worker{n}.log").start()
        self.workers.append(worker)
        return worker

    def _wait_worker(self, worker: ManagedProcess) -> None:
        # The worker logs once it polls; give it a moment to register its pollers.
        wait_until(lambda: "worker polling" in _read(worker.log_path), timeout=30,
                   what="worker", proc=worker.proc)

    # -- API instances
    def start_api(self, port: int | None = None, **env: str) -> str:
        api, url = self._spawn_api(port, env)
        self._wait_api(api, url)
        return url

    def _spawn_api(self, port: int | None, env: dict[str, str]) -> tuple[ManagedProcess, str]:
        port = port or free_port()
        n = len(self.apis)
        api = python_process(
            f"api{n}",
            ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port", str(port),
             "--timeout-graceful-shutdown", "2"],
            env=self.env({**self.api_env, **env}), log_path=self.logs / f"api{n}.log",
        ).start()
        self.apis.append(api)
        self.api_ports.append(port)
        return api, f"http://127.0.0.1:{port}"

    def _wait_api(self, api: ManagedProcess, url: str) -> None:
        wait_until(lambda: http_ok(f"{url}/health"), timeout=30, what="API", proc=api.proc)

    def start_workers_and_apis(self, workers: int = 1, api_ports: Sequence[int | None] = (None,),
                               *, worker_env: dict[str, str] | None = None,
                               api_env: dict[str, str] | None = None) -> list[str]:
        """Start workers and API instances side by side, then wait until each is ready.

        Each is a Python process that imports for 1-2 s; started one after the other they
        add up, while two cores can overlap them. Returns the APIs' URLs.
        """
        started = [self._spawn_worker(worker_env or {}) for _ in range(workers)]
        apis = [self._spawn_api(port, api_env or {}) for port in api_ports]
        for worker in started:
            self._wait_worker(worker)
        for api, url in apis:
            self._wait_api(api, url)
        return [url for _, url in apis]

    def stop(self) -> None:
        for proc in [*self.apis, *self.workers]:
            proc.stop(timeout=5)
        # The stack is thrown away: a SIGKILL spares the dev server's ~1 s graceful stop.
        # (Tests of a graceful server stop call `stop_server()` themselves.)
        if self.server:
            self.server.kill()


def _read(path: Path | None) -> str:
    try:
        return path.read_text(errors="replace") if path else ""
    except FileNotFoundError:
        return ""


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
