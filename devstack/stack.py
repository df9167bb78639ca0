"""The whole local stack in one process tree: Temporal, one worker, the API."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from api.auth import keys_requested
from api.local_guard import open_mode_bind_error
from common.settings import Settings
from devstack.launcher import StackLauncher
from devstack.processes import port_open


class RunStack(StackLauncher):
    """`make run`'s stack: the settings' ports and folders, kept from one run to the next."""

    stop_seconds = 8.0
    graceful_server_stop = True
    api_graceful_seconds = 3

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.data_dir, skills_root=Path(settings.skills_root).resolve(),
                         temporal_port=settings.temporal_port, ui_port=settings.ui_port,
                         namespace=settings.temporal_namespace, api_host=settings.api_host)
        self.settings = settings

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        settings = self.settings
        return super().env({
            # The dev server is ours: add attributes a newer version needs to an older data dir.
            "SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES": os.environ.get(
                "SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES", "true"),
            "SKILL_FLEET_OPEN_MODE": "1" if settings.open_mode else "0",
            # The reviewer page links each job to it in this stack's Temporal Web UI.
            "SKILL_FLEET_TEMPORAL_UI_URL": settings.temporal_ui_url
            or f"http://127.0.0.1:{settings.ui_port}",
            **(extra or {}),
        })


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

    stack = RunStack(settings)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print("Starting the Temporal dev server ...", flush=True)
        stack.start_server()
        stack.spawn_worker({}, name="worker")
        api, api_url = stack.spawn_api(settings.api_port, {}, name="api")
        stack.wait_api(api, api_url)
        print(
            "\nskill-fleet is running:\n"
            f"  API         {api_url}/api/v2   (docs: {api_url}/docs)\n"
            f"  Review      {api_url}/ui/\n"
            f"  Web UI      http://127.0.0.1:{settings.ui_port}\n"
            f"  Temporal    {stack.address}  (namespace {settings.temporal_namespace})\n"
            f"  Data        {data.resolve()}  (logs in {logs})\n"
            f"  Skills      {Path(settings.skills_root).resolve()}\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stop.wait(0.5):
            for child in stack.processes():
                if not child.running():
                    print(f"{child.name} exited unexpectedly; see {child.log_path}", flush=True)
                    stop.set()
    finally:
        print("Stopping ...", flush=True)
        stack.stop()
        print("Stopped. Jobs are kept in", stack.db_file, flush=True)


def main() -> None:
    os.chdir(Path(__file__).resolve().parent.parent)
    run_local_stack(Settings())


if __name__ == "__main__":
    main()
