"""Starting, probing and stopping the local stack's processes (the run command and tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx
from ephemeral_port_reserve import reserve

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody listens on, held back from the OS's ephemeral allocation.

    A port picked by bind(0) and released can be handed out again at once, and the Temporal
    dev server picks its internal services' ports that way while it starts: one of them once
    took the frontend port chosen here and the server crashed. `reserve` leaves the port in
    TIME_WAIT (~60 s on Linux), which keeps bind(0) off it while our servers, all binding
    with SO_REUSEADDR, can still take it explicitly.
    """
    return reserve("127.0.0.1")


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def wait_until(check: Callable[[], bool], *, timeout: float, what: str,
               proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with code {proc.returncode}")
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f}s")


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


class ManagedProcess:
    """A child process with its output in a log file; stopped by SIGTERM, then SIGKILL."""

    def __init__(self, name: str, args: Sequence[str], *, env: Mapping[str, str] | None = None,
                 log_path: Path | None = None, cwd: Path = REPO_ROOT) -> None:
        self.name = name
        self.args = list(args)
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.args, env=self.env, cwd=self.cwd, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the crash the product must survive."""
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def python_process(name: str, module_args: Sequence[str], **kwargs: object) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, *module_args], **kwargs)  # type: ignore[arg-type]
