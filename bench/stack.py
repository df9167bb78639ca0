"""The benchmark's own local stack: Temporal dev server, skill-fleet worker, API, bare worker.

Everything runs as a separate process on loopback, on free ports, with its own SQLite file
in a temporary folder; `BenchStack.stop()` stops all of them (the caller runs it in `finally`).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from devstack.processes import ManagedProcess, free_port, http_ok, python_process, wait_until
from devstack.temporal_server import TemporalDevServer, wait_for_namespace

BARE_TASK_QUEUE = "bench-bare"


def _read(path: Path | None) -> str:
    try:
        return path.read_text(errors="replace") if path else ""
    except FileNotFoundError:
        return ""


class BenchStack:
    def __init__(self, root: Path | None = None, *, keep: bool = False,
                 worker_script: str = "worker.py", api_app: str = "api.app:app") -> None:
        self.worker_script = worker_script
        self.api_app = api_app
        self._own_root = root is None
        self.root = root or Path(tempfile.mkdtemp(prefix="skill-fleet-bench-"))
        self.keep = keep
        self.logs = self.root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.skills_root = self.root / "skills"
        self.skills_root.mkdir(exist_ok=True)
        self.temporal_port = free_port()
        self.server: TemporalDevServer | None = None
        self.worker: ManagedProcess | None = None
        self.bare_worker: ManagedProcess | None = None
        self.api: ManagedProcess | None = None
        self.api_url = ""
        self._all: list[ManagedProcess] = []
        self._n = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "SKILL_FLEET_TEMPORAL_ADDRESS": self.address,
            "SKILL_FLEET_SKILLS_ROOT": str(self.skills_root),
            "SKILL_FLEET_OPEN_MODE": "1",  # the API runs without keys, on loopback
            "SKILL_FLEET_CREATE_RATE_PER_MINUTE": "0",  # measure the engine, not the limiter
            # every client holds a create or an answer open with ?wait=, all as one open-mode user
            "SKILL_FLEET_MAX_WAITS_PER_USER": "0",
            # ... and every event-stream client too (the events phase opens up to 50 streams)
            "SKILL_FLEET_MAX_EVENT_STREAMS_PER_USER": "0",
            # The offline author's skeleton scores ~0.6, under the default pass mark: accept
            # it, so every job takes the same path (no stop at a failed validation).
            "SKILL_FLEET_PASS_THRESHOLD": "0.4",
            **extra,
        }

    def _log(self, name: str) -> Path:
        self._n += 1
        return self.logs / f"{self._n:02d}-{name}.log"

    # ------------------------------------------------------------------ processes

    def start_server(self) -> None:
        self.server = TemporalDevServer(self.root / "temporal.db", self.temporal_port,
                                        log_path=self._log("temporal"))
        self._all.append(self.server)
        self.server.start_and_wait()
        asyncio.run(wait_for_namespace(self.address))

    def start_worker(self, **env: str) -> ManagedProcess:
        """The real worker (`worker.py`), as `make run` starts it; logs once it polls."""
        worker = python_process("worker", [self.worker_script],
                                env=self.env(**env),
                                log_path=self._log("worker"))
        self._all.append(worker.start())
        wait_until(lambda: "worker polling" in _read(worker.log_path), timeout=60,
                   what="worker", proc=worker.proc)
        self.worker = worker
        return worker

    def start_bare_worker(self) -> ManagedProcess:
        worker = python_process("bare-worker",
                                ["-m", "bench.bare_worker", "--address", self.address,
                                 "--task-queue", BARE_TASK_QUEUE],
                                log_path=self._log("bare-worker"))
        self._all.append(worker.start())
        wait_until(lambda: "bare worker polling" in _read(worker.log_path), timeout=60,
                   what="bare worker", proc=worker.proc)
        self.bare_worker = worker
        return worker

    def start_api(self) -> str:
        """The API as `make run` starts it (uvicorn, one process, default access log)."""
        port = free_port()
        api = python_process(
            "api",
            ["-m", "uvicorn", self.api_app, "--host", "127.0.0.1", "--port", str(port),
             "--timeout-graceful-shutdown", "2"],
            env=self.env(), log_path=self._log("api"),
        )
        self._all.append(api.start())
        self.api_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(f"{self.api_url}/health"), timeout=60, what="API",
                   proc=api.proc)
        self.api = api
        return self.api_url

    def stop_worker(self, *, kill: bool = False) -> None:
        if self.worker is not None:
            if kill:
                self.worker.kill()
            else:
                self.worker.stop(timeout=10)
            self.worker = None

    def stop(self) -> None:
        for proc in reversed(self._all):
            try:
                proc.stop(timeout=8)
            except Exception:  # keep stopping the others
                proc.kill()
        self._all.clear()
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
