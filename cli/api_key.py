"""Where the CLI's API key comes from: SKILL_FLEET_API_KEY, a file, or (discouraged) argv.

A key typed as `--api-key KEY` is readable by every local user (`ps`, /proc) and stays in
shell history; it still works, for existing scripts, but is warned about.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

ARGV_WARNING = ("[yellow]warning:[/] --api-key puts the key where other local users (ps) "
                "and your shell history see it; use SKILL_FLEET_API_KEY or --api-key-file.")


def resolve_api_key(ctx: typer.Context, key: str | None, key_file: Path | None,
                    err: Console) -> str | None:
    """The key to send. An option given on the command line beats the environment; two
    ways at the same level are a usage error rather than a silent choice."""
    # By name: typer vendors its own click, whose ParameterSource is not click's.
    from_cli = {name for name in ("api_key", "api_key_file")
                if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"}
    if key is not None and key_file is not None and len(from_cli) != 1:
        raise typer.BadParameter("give the API key one way: --api-key-file or --api-key "
                                 "(SKILL_FLEET_API_KEY_FILE or SKILL_FLEET_API_KEY)",
                                 param_hint="--api-key-file")
    if key_file is not None and (key is None or "api_key_file" in from_cli):
        return _read(key_file)
    if key is not None and "api_key" in from_cli:
        err.print(ARGV_WARNING)
    return key


def _read(key_file: Path) -> str:
    """The file's text without surrounding whitespace (the newline an editor adds)."""
    try:
        key = key_file.read_text().strip()
    except OSError as e:
        raise typer.BadParameter(f"cannot read {key_file}: {e.strerror or e}",
                                 param_hint="--api-key-file") from None
    if not key:
        raise typer.BadParameter(f"{key_file} is empty", param_hint="--api-key-file")
    return key
