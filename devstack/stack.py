"""The whole local stack in one process tree: Temporal, one worker, the API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path

from api.auth import keys_requested
from api.local_guard import open_mode_bind_error
from common.settings import Settings
from devstack.processes import ManagedProcess, http_ok, port_open, python_process, wait_until
from devstack.temporal_server import TemporalDevServer, wait_for_namespace


def _check_free(port: int, what: str, setting: str) -> None:
    if port_open("127.0.0.1", port):
        sys.exit(f"Port {port} for {what} is in use. Stop what uses it or set {setting}.")


def run_local_stack(settings: Settings) -> None:
    data = settings.data_dir
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    _check_free(settings.temporal_port, "Temporal", "SKILL_FLEET_TEMPORAL_PORT")
    _check_free(settings.ui_port, "the Temporal Web UI", "SKILL_FLEET_UI_PORT")
    _check_free(settings.api_port, "the API", "SKILL_FLEET_API_PORT")
    # The dev stack runs the API in open local mode unless keys are configured.
    if not keys_requested(settings):
        settings = settings.model_copy(update={"open_mode": True})
    if refusal := open_mode_bind_error(settings):
        sys.exit(refusal)

    server = TemporalDevServer(data / "temporal.db", settings.temporal_port, settings.ui_port,
                               log_path=logs / "temporal.log")
    env = {"SKILL_FLEET_TEMPORAL_ADDRESS": server.address,
           "SKILL_FLEET_SKILLS_ROOT": str(Path(settings.skills_root).resolve()),
           # The dev server is ours: add attributes a newer version needs to an older data dir.
           "SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES": os.environ.get(
               "SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES", "true"),
           "SKILL_FLEET_OPEN_MODE": "1" if settings.open_mode else "0",
           # The reviewer page links each job to it in this stack's Temporal Web UI.
           "SKILL_FLEET_TEMPORAL_UI_URL": settings.temporal_ui_url
           or f"http://127.0.0.1:{settings.ui_port}"}
    worker = python_process("worker", ["worker.py"], env=env, log_path=logs / "worker.log")
    api = python_process(
        "api",
        ["-m", "uvicorn", "api.app:app", "--host", settings.api_host,
         "--port", str(settings.api_port), "--timeout-graceful-shutdown", "3"],
        env=env, log_path=logs / "api.log",
    )
    children: list[ManagedProcess] = []
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print("Starting the Temporal dev server ...", flush=True)
        children.append(server.start_and_wait())
        asyncio.run(wait_for_namespace(server.address, settings.temporal_namespace))
        children.append(worker.start())
        children.append(api.start())
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        wait_until(lambda: http_ok(f"{api_url}/health"), timeout=30, what="API", proc=api.proc)
        print(
            "\nskill-fleet is running:\n"
            f"  API         {api_url}/api/v2   (docs: {api_url}/docs)\n"
            f"  Review      {api_url}/ui/\n"
            f"  Web UI      http://127.0.0.1:{settings.ui_port}\n"
            f"  Temporal    {server.address}  (namespace {settings.temporal_namespace})\n"
            f"  Data        {data.resolve()}  (logs in {logs})\n"
            f"  Skills      {Path(settings.skills_root).resolve()}\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stop.wait(0.5):
            for child in children:
                if not child.running():
                    print(f"{child.name} exited unexpectedly; see {child.log_path}", flush=True)
                    stop.set()
    finally:
        print("Stopping ...", flush=True)
        for child in reversed(children):
            child.stop(timeout=8)
        print("Stopped. Jobs are kept in", data / "temporal.db", flush=True)


def main() -> None:
    os.chdir(Path(__file__).resolve().parent.parent)
    run_local_stack(Settings())


if __name__ == "__main__":
    main()
