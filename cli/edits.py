"""Direct edits from the terminal: `respond`'s edit options, and "edit" when answering.

At confirm the plan's fields are typed in (Enter keeps a value); at preview SKILL.md opens in
`$VISUAL`/`$EDITOR`, as `git commit` does (`click.edit`). The server checks the edit against
the prompt's answer schema and names a field it refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from cli.line_input import read_line

EDITABLE = frozenset({"confirm", "preview"})
PLAN_FIELDS = ("skill_name", "description", "category", "outline")
FILE_FIELDS = ("skill_md", "files")


class EditError(ValueError):
    """An edit option that cannot be read; reported as a usage error."""


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise EditError(f"{what}: cannot read {path}: {err}") from err


def option_edits(*, category: str | None, outline: list[str] | None, skill_md: Path | None,
                 files: list[str] | None, remove_files: list[str] | None,
                 edits_file: Path | None) -> dict[str, Any]:
    """The edit fields from `respond`'s options; an `--edits` JSON file fills the rest."""
    body: dict[str, Any] = {}
    if edits_file is not None:
        try:
            loaded = json.loads(_read(edits_file, "--edits"))
        except json.JSONDecodeError as err:
            raise EditError(f"--edits: {edits_file} is not JSON: {err}") from err
        unknown = set(loaded) - {*PLAN_FIELDS, *FILE_FIELDS} if isinstance(loaded, dict) else set()
        if not isinstance(loaded, dict) or unknown:
            raise EditError("--edits: a JSON object with any of "
                            + ", ".join((*PLAN_FIELDS, *FILE_FIELDS))
                            + (f" (not {', '.join(sorted(unknown))})" if unknown else ""))
        body.update(loaded)
    if category is not None:
        body["category"] = category
    if outline:
        body["outline"] = outline
    if skill_md is not None:
        body["skill_md"] = _read(skill_md, "--skill-md")
    changed: dict[str, str | None] = dict(body.get("files") or {})
    for pair in files or []:
        target, sep, local = pair.partition("=")
        if not sep or not target or not local:
            raise EditError(f"--file {pair!r} is not PATH=LOCAL_FILE")
        changed[target] = _read(Path(local), "--file")
    for target in remove_files or []:
        changed[target] = None
    if changed:
        body["files"] = changed
    return body


def ask_edits(kind: str, data: dict[str, Any], console: Console) -> dict[str, Any]:
    """The edit fields for one prompt, asked at the terminal; {} if nothing changed."""
    return _plan_edits(data, console) if kind == "confirm" else _skill_md_edit(data, console)


def _plan_edits(data: dict[str, Any], console: Console) -> dict[str, Any]:
    summary = data.get("summary", {})
    current_category = str(summary.get("taxonomy_path", "")).rpartition("/")[0]
    console.print("Edit the plan (Enter keeps the current value):")
    asked = {
        "skill_name": read_line(console, f"Skill name [{summary.get('skill_name', '')}]:"),
        "description": read_line(console, "Description [keep current]:"),
        "category": read_line(console, f"Category [{current_category}]:"),
        "outline": read_line(console, "Sections, comma-separated ["
                          + ", ".join(summary.get("scope") or []) + "]:"),
    }
    edits: dict[str, Any] = {k: v.strip() for k, v in asked.items() if v.strip()}
    if "outline" in edits:
        edits["outline"] = [s.strip() for s in edits["outline"].split(",") if s.strip()]
    return edits


def _skill_md_edit(data: dict[str, Any], console: Console) -> dict[str, Any]:
    current = str(data.get("content", ""))
    console.print("[dim]Opening SKILL.md in your editor ($VISUAL or $EDITOR); save and close "
                  "it to send your version.[/]")
    try:
        edited = click.edit(current, extension=".md", require_save=True)
    except click.ClickException as err:
        console.print(f"[red]The editor did not run:[/] {escape(err.format_message())}")
        return {}
    if edited is None or edited == current:
        console.print("[yellow]SKILL.md was not changed.[/]")
        return {}
    return {"skill_md": edited}
