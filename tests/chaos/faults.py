"""The fault controller: SIGKILLs and restarts of workers, API instances and the Temporal
server at random moments, one fault at a time."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from devstack.processes import ManagedProcess
from tests.chaos.config import ChaosConfig
from tests.support import LocalStack

# ------------------------------------------------------------------ the fault controller


@dataclass
class Fault:
    at: float
    kind: str
    target: str
    down_seconds: float
    restart_seconds: float = 0.0


class FaultController(threading.Thread):
    """SIGKILLs and restarts processes at random moments, one fault at a time.

    The plan (how many faults of each kind) is fixed up front so the run is bounded;
    it stops early when `stop` is set. After each fault everything is back up.
    """

    def __init__(
        self,
        stack: LocalStack,
        cfg: ChaosConfig,
        rng: random.Random,
        workers: list[ManagedProcess],
        apis: list[ManagedProcess],
        api_ports: list[int],
        worker_env: dict[str, str],
        log: Any,
    ) -> None:
        super().__init__(name="chaos-controller", daemon=True)
        self.stack = stack
        self.cfg = cfg
        self.rng = rng
        self.workers = workers
        self.apis = apis
        self.api_ports = api_ports
        self.worker_env = worker_env
        self.log = log
        self.stop_event = threading.Event()
        self.faults: list[Fault] = []
        self.error: BaseException | None = None
        self.t0 = time.monotonic()
        # One fault of each kind first (in random order), so even a short run survives
        # each kind; then the rest of the kills shuffled.
        first = [
            k
            for k, n in (
                ("worker", cfg.worker_kills),
                ("api", cfg.api_kills),
                ("server", cfg.server_restarts),
            )
            if n
        ]
        rest = (
            ["worker"] * (cfg.worker_kills - 1)
            + ["api"] * (cfg.api_kills - 1)
            + ["server"] * (cfg.server_restarts - 1)
            + ["workers"] * cfg.all_worker_kills
        )
        self.rng.shuffle(first)
        self.rng.shuffle(rest)
        self.plan = first + [k for k in rest if k]

    def run(self) -> None:
        try:
            for kind in self.plan:
                if self.stop_event.wait(self.rng.uniform(*self.cfg.fault_gap)):
                    break
                getattr(self, f"_fault_{kind}")()
        except BaseException as err:  # surfaced by the test
            self.error = err
            self.log(f"controller error: {err!r}")
        finally:
            self._ensure_up()

    def _elapsed(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    def _fault_worker(self) -> None:
        i = self.rng.randrange(len(self.workers))
        down = self.rng.uniform(*self.cfg.worker_down)
        at = self._elapsed()
        self.workers[i].kill()
        self.log(
            f"[{at:7.2f}s] SIGKILL worker slot {i} (pid {self.workers[i].pid}); down {down:.1f}s"
        )
        time.sleep(down)
        started = time.monotonic()
        self.workers[i] = self.stack.start_worker(**self.worker_env)
        self.faults.append(Fault(at, "worker", f"worker{i}", down, time.monotonic() - started))

    def _fault_workers(self) -> None:
        down = self.rng.uniform(*self.cfg.worker_down)
        at = self._elapsed()
        for w in self.workers:
            w.kill()
        self.log(f"[{at:7.2f}s] SIGKILL all {len(self.workers)} workers; down {down:.1f}s")
        time.sleep(down)
        started = time.monotonic()
        for i in range(len(self.workers)):
            self.workers[i] = self.stack.start_worker(**self.worker_env)
        self.faults.append(Fault(at, "workers", "all", down, time.monotonic() - started))

    def _fault_api(self) -> None:
        j = self.rng.randrange(len(self.apis))
        down = self.rng.uniform(*self.cfg.api_down)
        at = self._elapsed()
        self.apis[j].kill()
        self.log(f"[{at:7.2f}s] SIGKILL api slot {j} (port {self.api_ports[j]}); down {down:.1f}s")
        time.sleep(down)
        started = time.monotonic()
        self.stack.start_api(port=self.api_ports[j])
        self.apis[j] = self.stack.apis[-1]
        self.faults.append(Fault(at, "api", f"api{j}", down, time.monotonic() - started))

    def _fault_server(self) -> None:
        down = self.rng.uniform(*self.cfg.server_down)
        at = self._elapsed()
        self.stack.stop_server(kill=True)
        self.log(f"[{at:7.2f}s] SIGKILL Temporal server; down {down:.1f}s")
        time.sleep(down)
        started = time.monotonic()
        self.stack.start_server()
        self.faults.append(Fault(at, "server", "temporal", down, time.monotonic() - started))
        self.log(
            f"[{self._elapsed():7.2f}s] Temporal server back "
            f"({time.monotonic() - started:.1f}s to start)"
        )

    def _ensure_up(self) -> None:
        """Whatever happened, leave the stack whole for the audit."""
        try:
            if self.stack.server and not self.stack.server.running():
                self.stack.start_server()
            for i, w in enumerate(self.workers):
                if not w.running():
                    self.workers[i] = self.stack.start_worker(**self.worker_env)
            for j, a in enumerate(self.apis):
                if not a.running():
                    self.stack.start_api(port=self.api_ports[j])
                    self.apis[j] = self.stack.apis[-1]
        except BaseException as err:
            self.error = self.error or err
