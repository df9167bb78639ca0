"""One local stack's processes: a Temporal dev server, workers and API instances.

`make run` (`devstack/stack.py`), the tests' `LocalStack` (`tests/support.py`) and the
benchmark's `BenchStack` (`bench/stack.py`) all start the same parts the same way: the dev
server on its own SQLite file until its namespace answers, the worker until it polls, the
API until `/health` answers; and stop them, APIs and workers first. They differ only in
ports, environment, log names and how long they wait, which they set here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from devstack.processes import ManagedProcess, free_port, http_ok, python_process, wait_until
from devstack.temporal_server import TemporalDevServer, wait_for_namespace


def read_log(path: Path | None) -> str:
    """A process's log so far ('' before it is written)."""
    try:
        return path.read_text(errors="replace") if path else ""
    except FileNotFoundError:
        return ""


class StackLauncher:
    """Starts and stops one stack's processes; every one started is in `processes()`."""

    # How long a worker or an API may take to be ready.
    ready_seconds = 30.0
    # SIGTERM, then SIGKILL after this many seconds, for each API and worker at `stop()`.
    stop_seconds = 5.0
    # False: `stop()` SIGKILLs the server (a thrown-away stack spares its ~1 s graceful stop).
    graceful_server_stop = False
    # uvicorn's --timeout-graceful-shutdown: how long an API lets open requests finish.
    api_graceful_seconds = 2

    def __init__(self, root: Path, *, skills_root: Path | None = None,
                 temporal_port: int | None = None, ui_port: int | None = None,
                 namespace: str = "default", api_host: str = "127.0.0.1",
                 worker_script: str = "worker.py", api_app: str = "api.app:app",
                 worker_env: Mapping[str, str] | None = None,
                 api_env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        if skills_root is None:  # the stack's own; one named is the caller's to make
            skills_root = root / "skills"
            skills_root.mkdir(exist_ok=True)
        self.skills_root = skills_root
        self.db_file = root / "temporal.db"
        self.temporal_port = temporal_port or free_port()
        self.ui_port = ui_port
        self.namespace = namespace
        self.api_host = api_host
        self.worker_script = worker_script
        self.api_app = api_app
        self.worker_env = dict(worker_env or {})
        self.api_env = dict(api_env or {})
        self.server: TemporalDevServer | None = None
        self.workers: list[ManagedProcess] = []
        self.apis: list[ManagedProcess] = []
        self.api_ports: list[int] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """What every worker and API of the stack is started with (`extra` wins)."""
        return {"SKILL_FLEET_TEMPORAL_ADDRESS": self.address,
                "SKILL_FLEET_SKILLS_ROOT": str(self.skills_root), **(extra or {})}

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def processes(self) -> list[ManagedProcess]:
        """Every process started, in the order they were."""
        server: list[ManagedProcess] = [self.server] if self.server else []
        return [*server, *self.workers, *self.apis]

    # -- Temporal server
    def start_server(self, *, search_attributes: bool = True) -> TemporalDevServer:
        """The dev server, ready once its namespace answers (an open port is not enough).

        `search_attributes=False`: a namespace without ours (tests of the setup path)."""
        self.server = TemporalDevServer(self.db_file, self.temporal_port, self.ui_port,
                                        log_path=self.log_path("temporal"),
                                        search_attributes=search_attributes)
        self.server.start_and_wait()
        asyncio.run(wait_for_namespace(self.address, self.namespace))
        return self.server

    # -- workers
    def start_worker(self, **env: str) -> ManagedProcess:
        worker = self.spawn_worker(env)
        self.wait_worker(worker)
        return worker

    def spawn_worker(self, env: Mapping[str, str], name: str | None = None) -> ManagedProcess:
        """Start a worker (`worker_script`) without waiting for it."""
        name = name or f"worker{len(self.workers)}"
        worker = python_process(name, [self.worker_script],
                                env=self.env({**self.worker_env, **env}),
                                log_path=self.log_path(name)).start()
        self.workers.append(worker)
        return worker

    def wait_worker(self, worker: ManagedProcess, line: str = "worker polling",
                    what: str = "worker") -> None:
        """A worker logs `line` once it polls."""
        wait_until(lambda: line in read_log(worker.log_path), timeout=self.ready_seconds,
                   what=what, proc=worker.proc)

    # -- API instances
    def start_api(self, port: int | None = None, **env: str) -> str:
        api, url = self.spawn_api(port, env)
        self.wait_api(api, url)
        return url

    def spawn_api(self, port: int | None, env: Mapping[str, str],
                  name: str | None = None) -> tuple[ManagedProcess, str]:
        """Start an API (uvicorn, one process) without waiting for it; returns its URL."""
        port = port or free_port()
        name = name or f"api{len(self.apis)}"
        api = python_process(
            name,
            ["-m", "uvicorn", self.api_app, "--host", self.api_host, "--port", str(port),
             "--timeout-graceful-shutdown", str(self.api_graceful_seconds)],
            env=self.env({**self.api_env, **env}), log_path=self.log_path(name),
        ).start()
        self.apis.append(api)
        self.api_ports.append(port)
        return api, f"http://{self.api_host}:{port}"

    def wait_api(self, api: ManagedProcess, url: str) -> None:
        wait_until(lambda: http_ok(f"{url}/health"), timeout=self.ready_seconds, what="API",
                   proc=api.proc)

    def start_workers_and_apis(self, workers: int = 1, api_ports: Sequence[int | None] = (None,),
                               *, worker_env: Mapping[str, str] | None = None,
                               api_env: Mapping[str, str] | None = None) -> list[str]:
        """Start workers and API instances side by side, then wait until each is ready.

        Each is a Python process that imports for 1-2 s; started one after the other they
        add up, while two cores can overlap them. Returns the APIs' URLs.
        """
        started = [self.spawn_worker(worker_env or {}) for _ in range(workers)]
        apis = [self.spawn_api(port, api_env or {}) for port in api_ports]
        for worker in started:
            self.wait_worker(worker)
        for api, url in apis:
            self.wait_api(api, url)
        return [url for _, url in apis]

    # -- stopping
    def stop_server(self, *, kill: bool = False) -> None:
        if self.server:
            self.server.kill() if kill else self.server.stop()

    def stop(self) -> None:
        """Stop every process, the last started first, the server last."""
        for proc in reversed(self.processes()):
            try:
                if proc is self.server and not self.graceful_server_stop:
                    proc.kill()
                else:
                    proc.stop(timeout=self.stop_seconds)
            except Exception:  # keep stopping the others
                proc.kill()
