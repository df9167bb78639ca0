"""The real API process refuses to start on unusable keys, on no keys at all unless open
local mode is asked for, and on open mode bound beyond loopback; and says why."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from devstack.processes import ManagedProcess, free_port, python_process, wait_until

# Temporal is never contacted before these checks; the API connects lazily.
NO_TEMPORAL = {"SKILL_FLEET_TEMPORAL_ADDRESS": "127.0.0.1:9"}


def uvicorn_api(port: int, host: str = "127.0.0.1") -> list[str]:
    return ["-m", "uvicorn", "api.app:app", "--host", host, "--port", str(port)]


def process(name: str, args: list[str], env: dict[str, str], log: Path) -> ManagedProcess:
    """`python args` with only these SKILL_FLEET_* settings (none leak in from ours)."""
    proc = python_process(name, args, env={**NO_TEMPORAL, **env}, log_path=log)
    proc.env = {k: v for k, v in proc.env.items()
                if not k.startswith("SKILL_FLEET_") or k in NO_TEMPORAL or k in env}
    return proc


def refused(args: list[str], env: dict[str, str], log: Path) -> str:
    """Start the process, expect it to exit non-zero on its own; its output."""
    proc = process("api", args, env, log).start()
    try:
        wait_until(lambda: not proc.running(), timeout=30, what="the API to exit")
        assert proc.proc is not None and proc.proc.returncode != 0
        return log.read_text()
    finally:
        proc.stop(timeout=5)


def test_uvicorn_exits_on_an_empty_keys_file_with_the_reason(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text("[]\n")
    text = refused(uvicorn_api(free_port()), {"SKILL_FLEET_API_KEYS_FILE": str(keys)},
                   tmp_path / "api.log")
    assert "holds no keys. Refusing to start" in text, text[-2000:]
    assert "Application startup failed" in text


def test_uvicorn_refuses_to_start_without_keys_or_open_mode(tmp_path: Path) -> None:
    text = refused(uvicorn_api(free_port()), {}, tmp_path / "api.log")
    assert "No API keys configured. Refusing to start" in text, text[-2000:]
    for setting in ("SKILL_FLEET_API_KEYS_FILE", "SKILL_FLEET_API_KEYS",
                    "SKILL_FLEET_OPEN_MODE=1"):
        assert setting in text
    assert "Application startup failed" in text


def test_open_mode_starts_and_answers_only_localhost(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "api.log"
    proc = process("api", uvicorn_api(port), {"SKILL_FLEET_OPEN_MODE": "1"}, log).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: "Application startup complete" in log.read_text(), timeout=30,
                   what="the API", proc=proc.proc)
        assert "OPEN LOCAL MODE" in log.read_text()
        with httpx.Client(base_url=url, timeout=10) as http:
            # /health answers (503: no Temporal here); a rebound DNS name does not get in.
            assert http.get("/health").status_code in (200, 503)
            r = http.get("/health", headers={"Host": "rebind.evil.example"})
            assert r.status_code == 403 and r.json()["details"]["reason"] == "ForeignHost"
    finally:
        proc.stop(timeout=5)


@pytest.mark.parametrize("how", ["cli --host", "SKILL_FLEET_API_HOST"])
def test_open_mode_refuses_to_bind_beyond_loopback(tmp_path: Path, how: str) -> None:
    port = free_port()
    env = {"SKILL_FLEET_OPEN_MODE": "1"}
    if how == "cli --host":  # `skill-fleet api --host 0.0.0.0`
        args = ["-m", "cli", "api", "--host", "0.0.0.0", "--port", str(port)]
    else:
        env["SKILL_FLEET_API_HOST"] = "0.0.0.0"
        args = uvicorn_api(port)
    proc = process("api", args, env, tmp_path / "api.log").start()
    try:
        wait_until(lambda: not proc.running(), timeout=30, what="the API to exit")
        assert proc.proc is not None and proc.proc.returncode != 0
        text = (tmp_path / "api.log").read_text()
        assert "Refusing to start: open local mode" in text, text[-2000:]
        assert "0.0.0.0" in text and "SKILL_FLEET_API_KEYS_FILE" in text
    finally:
        proc.stop(timeout=5)
