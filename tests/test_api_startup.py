"""The real API process refuses to start on unusable keys, and says why."""

from __future__ import annotations

from pathlib import Path

from devstack.processes import free_port, python_process, wait_until


def test_uvicorn_exits_on_an_empty_keys_file_with_the_reason(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text("[]\n")
    log = tmp_path / "api.log"
    api = python_process(
        "api", ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1",
                "--port", str(free_port())],
        # Temporal is never contacted: the keys are checked first.
        env={"SKILL_FLEET_API_KEYS_FILE": str(keys), "SKILL_FLEET_TEMPORAL_ADDRESS": "127.0.0.1:9"},
        log_path=log,
    ).start()
    try:
        wait_until(lambda: not api.running(), timeout=30, what="the API to exit")
        assert api.proc is not None and api.proc.returncode != 0
        text = log.read_text()
        assert "holds no keys. Refusing to start" in text, text[-2000:]
        assert "Application startup failed" in text
    finally:
        api.stop(timeout=5)
