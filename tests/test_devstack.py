"""The run command's stack: starts everything, stops on Ctrl-C, and finds its jobs again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.processes import REPO_ROOT, free_port, http_ok, port_open, wait_until
from tests.support import answer, create_job, wait_prompt, wait_status


def _start(tmp: Path, ports: dict[str, int], log: Path) -> subprocess.Popen[bytes]:
    env = {
        "SKILL_FLEET_DATA_DIR": str(tmp / "data"),
        "SKILL_FLEET_SKILLS_ROOT": str(tmp / "skills"),
        "SKILL_FLEET_TEMPORAL_PORT": str(ports["temporal"]),
        "SKILL_FLEET_UI_PORT": str(ports["ui"]),
        "SKILL_FLEET_API_PORT": str(ports["api"]),
    }
    import os

    return subprocess.Popen([sys.executable, "-m", "devstack"], cwd=REPO_ROOT,
                            env={**os.environ, **env}, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def test_run_command_stops_on_ctrl_c_and_keeps_jobs(tmp_path: Path) -> None:
    ports = {"temporal": free_port(), "ui": free_port(), "api": free_port()}
    url = f"http://127.0.0.1:{ports['api']}"
    log = tmp_path / "stack.log"
    proc = _start(tmp_path, ports, log)
    try:
        wait_until(lambda: "Press Ctrl-C" in log.read_text(), timeout=60, what="stack",
                   proc=proc)
        printed = log.read_text()
        assert f"{url}/api/v2" in printed and f"http://127.0.0.1:{ports['ui']}" in printed
        assert http_ok(f"http://127.0.0.1:{ports['ui']}")  # the Web UI is up
        with httpx.Client(base_url=url, timeout=30) as http:
            job_id = create_job(http, enable_hitl_confirm=True)
            prompt = wait_prompt(http, job_id, "confirm")
            # The reviewer page (open mode: no sign-in) links the job to this stack's Web UI.
            assert f"{url}/ui/" in printed
            page = http.get(f"/ui/jobs/{job_id}")
            assert page.status_code == 200, page.text
            web_ui = f"http://127.0.0.1:{ports['ui']}/namespaces/default/workflows/{job_id}"
            assert f'href="{web_ui}"' in page.text

        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        assert time.monotonic() - started < 15
        for port in ports.values():
            assert not port_open("127.0.0.1", port), f"port {port} still open after Ctrl-C"
        assert (tmp_path / "data" / "temporal.db").exists()

        proc = _start(tmp_path, ports, log)
        wait_until(lambda: http_ok(f"{url}/health"), timeout=60, what="stack", proc=proc)
        with httpx.Client(base_url=url, timeout=30) as http:
            again = wait_prompt(http, job_id, "confirm")
            assert again["prompt_id"] == prompt["prompt_id"]
            deadline = time.monotonic() + 60
            while (r := answer(http, job_id, prompt["prompt_id"], action="proceed",
                               response_id="after-restart")).status_code == 503:
                assert time.monotonic() < deadline, r.text
                time.sleep(0.5)
            assert r.status_code == 200, r.text
            # The product's default pass mark: the offline skeleton fails it honestly and the
            # job stops for a human, who may accept it.
            review = wait_prompt(http, job_id, "validate")
            assert review["data"]["report"]["passed"] is False
            r = answer(http, job_id, review["prompt_id"], action="proceed")
            assert r.status_code == 200, r.text
            assert wait_status(http, job_id, ["completed"])["validation_passed"] is False
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
