"""The server commands of `skill-fleet`: `dev`, `setup`, `api` and `worker` run the stack.

They talk to no API, so they share nothing with the job commands but the typer app, which
registers them with `register_server_commands`. Each imports what it runs only when it
runs: the other commands stay quick to start.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cli.exits import EPILOG
from cli.setup import SETUP_EPILOG, setup

if TYPE_CHECKING:
    from common.settings import Settings

err = Console(stderr=True, highlight=False, soft_wrap=True)

RegisterOpt = Annotated[bool | None, typer.Option(
    "--register-search-attributes/--no-register-search-attributes", show_default=False,
    help="Add missing search attributes to the namespace at start instead of refusing to "
         "start \\[default: SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES or off].")]


def dev() -> None:
    """Run the whole local stack (Temporal, a worker, the API), like `make run`."""
    from common.settings import Settings
    from devstack.stack import run_local_stack

    run_local_stack(Settings())


def api(
    host: Annotated[str | None, typer.Option(help="Interface to bind \\[default: "
                                                  "SKILL_FLEET_API_HOST or 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port \\[default: SKILL_FLEET_API_PORT or "
                                                  "8000].")] = None,
    register: RegisterOpt = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="API processes on the one port (uvicorn workers) \\[default: "
                    "SKILL_FLEET_API_WORKERS or 1].")] = None,
) -> None:
    """Serve the HTTP API (uvicorn api.app:app)."""
    import uvicorn

    from api.local_guard import open_mode_bind_error
    from api.metrics_dir import shared_metrics_dir

    settings = _settings(api_host=host, api_port=port, register_search_attributes=register,
                         api_workers=workers)
    if refusal := open_mode_bind_error(settings):  # before the port is bound
        err.print(refusal, markup=False, highlight=False)
        raise typer.Exit(2)
    if settings.api_workers == 1:
        from api.app import create_app

        uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                    timeout_graceful_shutdown=3)
        return
    # Several processes: uvicorn binds the port here and imports the app in each worker,
    # which reads its settings from the environment it inherits; a flag reaches it that way.
    if register is not None:
        os.environ["SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES"] = str(register).lower()
    with shared_metrics_dir(settings.api_workers):
        uvicorn.run("api.app:app", host=settings.api_host, port=settings.api_port,
                    workers=settings.api_workers, timeout_graceful_shutdown=3)


def worker(
    task_queue: Annotated[str | None, typer.Option(help="Temporal task queue to poll.")] = None,
    concurrency: Annotated[int | None, typer.Option(
        min=1, help="Activities run at once (SKILL_FLEET_WORKER_MAX_CONCURRENT_ACTIVITIES).")
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve Prometheus metrics on this port (SKILL_FLEET_WORKER_METRICS_PORT).")] = None,
    register: RegisterOpt = None,
) -> None:
    """Run a worker that executes skill jobs."""
    import asyncio

    import worker as worker_module
    from common.logging import configure_logging

    settings = _settings(task_queue=task_queue, worker_max_concurrent_activities=concurrency,
                         worker_metrics_port=metrics_port, register_search_attributes=register)
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(worker_module.run_worker(settings))


def _settings(**options: object) -> Settings:
    """The SKILL_FLEET_* settings with the options given on the command line on top."""
    from common.settings import Settings

    return Settings(**{name: value for name, value in options.items() if value is not None})


def register_server_commands(app: typer.Typer) -> None:
    """Add the server commands to the CLI's app, in the order its help lists them."""
    app.command(epilog=EPILOG)(dev)
    app.command(epilog=SETUP_EPILOG)(setup)
    app.command()(api)
    app.command()(worker)
