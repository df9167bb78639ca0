"""`skill-fleet setup`: give a Temporal namespace the search attributes skill-fleet needs.

Once per namespace, before the first worker or API starts on it (they refuse to start on a
namespace without them). It reads the same SKILL_FLEET_TEMPORAL_* settings as they do, so
it reaches the same namespace with the same credentials. The Temporal SDK is imported only
when the command runs: every other command stays quick to start.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from cli.exits import ExitCode

if TYPE_CHECKING:
    from common.settings import Settings

SETUP_EPILOG = ("Exit codes: 0 the namespace is ready · 1 it is not (missing or wrongly typed "
                "attributes; the fix is printed) · 3 Temporal unreachable. Also reads "
                "SKILL_FLEET_TEMPORAL_TLS_* and SKILL_FLEET_TEMPORAL_API_KEY.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def setup(
    address: Annotated[str | None, typer.Option(
        help="Temporal frontend \\[default: SKILL_FLEET_TEMPORAL_ADDRESS or localhost:7233].")
    ] = None,
    namespace: Annotated[str | None, typer.Option(
        help="Namespace \\[default: SKILL_FLEET_TEMPORAL_NAMESPACE or default].")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Only check, register nothing.")] = False,
) -> None:
    """Register skill-fleet's search attributes in the Temporal namespace (once per namespace)."""
    from common.settings import Settings

    options = {"temporal_address": address, "temporal_namespace": namespace}
    settings = Settings(**{name: value for name, value in options.items() if value is not None})
    _exit_without_teardown(run_setup(settings, check_only=check))


def _exit_without_teardown(code: ExitCode) -> NoReturn:
    """Exit once the output is flushed, skipping interpreter finalization.

    The Temporal SDK's Rust threads can outlive `asyncio.run` and abort a finalizing
    interpreter ("PyGILState_Release: thread state ... must be current", temporalio/sdk-python
    #300): a setup that had registered everything then exited -6 instead of 0.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


def run_setup(settings: Settings, *, check_only: bool) -> ExitCode:
    """Check (and unless `check_only`, register); print what happened; return the exit code."""
    from common.namespace_check import (
        TYPE_NAMES,
        Connection,
        NamespaceMisconfigured,
        TemporalUnreachable,
    )
    from common.search_attributes import ALL

    where = Connection.of(settings)
    try:
        added = asyncio.run(_setup(settings, register=not check_only))
    except TemporalUnreachable as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return ExitCode.UNREACHABLE
    except NamespaceMisconfigured as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return ExitCode.FAILED
    types = {k.name: TYPE_NAMES[k.indexed_value_type] for k in ALL}
    if added:
        listed = ", ".join(f"{name} ({types[name]})" for name in added)
        out.print(f"Registered {escape(listed)} in namespace {where.namespace!r} at "
                  f"{where.address}.")
    out.print(f"Namespace {where.namespace!r} at {where.address} has all {len(ALL)} search "
              "attributes skill-fleet needs.")
    return ExitCode.OK


async def _setup(settings: Settings, *, register: bool) -> tuple[str, ...]:
    from common.namespace_check import TemporalUnreachable, ensure_namespace
    from common.temporal import connect

    try:
        client = await connect(settings)
    except RuntimeError as e:  # the SDK's "Failed client connect: ..."
        raise TemporalUnreachable(
            f"Temporal is not reachable at {settings.temporal_address}: {e}") from e
    return await ensure_namespace(client, settings, register=register)
