"""The benchmark's own local stack: Temporal dev server, skill-fleet worker, API, bare worker.

Everything runs as a separate process on loopback, on free ports, with its own SQLite file
in a temporary folder; `BenchStack.stop()` stops all of them (the caller runs it in `finally`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import psutil

from devstack.launcher import StackLauncher
from devstack.processes import ManagedProcess, python_process

BARE_TASK_QUEUE = "bench-bare"


class BenchStack(StackLauncher):
    """The stack `make run` starts, with limits off, and the bare worker beside it."""

    ready_seconds = 60.0
    stop_seconds = 8.0
    graceful_server_stop = True

    def __init__(self, root: Path | None = None, *, keep: bool = False,
                 worker_script: str = "worker.py", api_app: str = "api.app:app") -> None:
        self._own_root = root is None
        super().__init__(root or Path(tempfile.mkdtemp(prefix="skill-fleet-bench-")),
                         worker_script=worker_script, api_app=api_app)
        self.keep = keep
        self.worker: ManagedProcess | None = None
        self.bare_worker: ManagedProcess | None = None
        self.api: ManagedProcess | None = None
        self.api_url = ""
        self._n = 0

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return super().env({
            "SKILL_FLEET_OPEN_MODE": "1",  # the API runs without keys, on loopback
            "SKILL_FLEET_CREATE_RATE_PER_MINUTE": "0",  # measure the engine, not the limiter
            # every client holds a create or an answer open with ?wait=, all as one open-mode user
            "SKILL_FLEET_MAX_WAITS_PER_USER": "0",
            # ... and every event-stream client too (the events phase opens up to 50 streams)
            "SKILL_FLEET_MAX_EVENT_STREAMS_PER_USER": "0",
            # The offline author's skeleton scores ~0.6, under the default pass mark: accept
            # it, so every job takes the same path (no stop at a failed validation).
            "SKILL_FLEET_PASS_THRESHOLD": "0.4",
            **(extra or {}),
        })

    def log_path(self, name: str) -> Path:
        """Numbered in the order started: a restarted worker gets a log of its own."""
        self._n += 1
        return self.logs / f"{self._n:02d}-{name}.log"

    def processes(self) -> list[ManagedProcess]:
        bare = [self.bare_worker] if self.bare_worker else []
        return [*super().processes(), *bare]

    # ------------------------------------------------------------------ processes

    def start_worker(self, **env: str) -> ManagedProcess:
        """The real worker (`worker.py`), as `make run` starts it; logs once it polls."""
        self.worker = self.spawn_worker(env, name="worker")
        self.wait_worker(self.worker)
        return self.worker

    def start_bare_worker(self) -> ManagedProcess:
        worker = python_process("bare-worker",
                                ["-m", "bench.bare_worker", "--address", self.address,
                                 "--task-queue", BARE_TASK_QUEUE],
                                log_path=self.log_path("bare-worker")).start()
        self.bare_worker = worker
        self.wait_worker(worker, "bare worker polling", "bare worker")
        return worker

    def start_api(self, port: int | None = None, **env: str) -> str:
        """The API as `make run` starts it (uvicorn, one process, default access log)."""
        self.api, self.api_url = self.spawn_api(port, env, name="api")
        self.wait_api(self.api, self.api_url)
        return self.api_url

    def stop_worker(self, *, kill: bool = False) -> None:
        if self.worker is not None:
            if kill:
                self.worker.kill()
            else:
                self.worker.stop(timeout=10)
            self.worker = None

    def stop(self) -> None:
        super().stop()
        if self._own_root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ measurements

    def pids(self) -> dict[str, int]:
        out = {}
        for name, proc in (("server", self.server), ("worker", self.worker),
                           ("api", self.api), ("bare_worker", self.bare_worker)):
            if proc is not None and proc.running():
                out[name] = proc.pid
        return out


def rss_mb(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return float("nan")


def cpu_seconds(pid: int) -> float:
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.Error:
        return float("nan")


class CpuMeter:
    """CPU seconds used by each process (and this one) between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "bench_client": psutil.Process().pid}
        self._t0: dict[str, float] = {}
        self._wall0 = 0.0
        self.result: dict[str, float] = {}

    def start(self) -> CpuMeter:
        self._wall0 = time.monotonic()
        self._t0 = {k: cpu_seconds(p) for k, p in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._wall0
        self.result = {
            k: round((cpu_seconds(p) - self._t0[k]) / wall, 3) for k, p in self.pids.items()
        }
        self.result["wall_seconds"] = round(wall, 2)
        return self.result
