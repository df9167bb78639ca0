"""Answering a checkpoint at the terminal, limited to what the prompt allows.

Questions are asked one at a time in the shape their type needs, and the server
stays the judge: a 422 shows its message and asks again, a 409 (someone else
answered, or the job moved on) re-reads the prompt instead of guessing.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from rich.console import Console
from rich.markup import escape

from cli.client import ApiClient, ApiError
from cli.edits import EDITABLE, ask_edits
from cli.exits import ExitCode
from cli.line_input import read_line
from cli.render import page_link, prompt_view
from workflows.models import ACTION_ALIASES, HitlPrompt

YES = frozenset({"y", "yes", "true", "t", "1"})
NO = frozenset({"n", "no", "false", "f", "0"})
SEND_RETRIES = 3


def answer_prompt(client: ApiClient, job_id: str, prompt: HitlPrompt, console: Console) -> bool:
    """Ask, send, and repeat until the job took an answer; False if the prompt went away."""
    while True:
        console.print(prompt_view(prompt, link=page_link(client.base_url, job_id)))
        body = collect_answer(prompt, console)
        body.update(prompt_id=prompt.prompt_id, response_id=uuid.uuid4().hex)
        try:
            ack = _send(client, job_id, body)
        except ApiError as err:
            if err.code is ExitCode.USAGE:  # 422/400: the answer was refused, ask again
                console.print(f"[red]The answer was refused:[/] {escape(err.message)}")
                continue
            if err.code is not ExitCode.CONFLICT:
                raise
            console.print(f"[yellow]{escape(err.message)}[/]")
            current = client.prompt(job_id).prompt
            if current is None or current.prompt_id == prompt.prompt_id:
                return False
            console.print("[yellow]The job is waiting on a newer prompt:[/]")
            prompt = current
            continue
        if ack.duplicate:
            console.print("[dim]This answer had already been applied.[/]")
        return True


def _send(client: ApiClient, job_id: str, body: dict[str, Any]) -> Any:
    """Retries keep the same response_id, so an answer that did land is not applied twice."""
    for attempt in range(SEND_RETRIES):
        try:
            return client.respond(job_id, body)
        except ApiError as err:
            if err.code is not ExitCode.UNREACHABLE or attempt == SEND_RETRIES - 1:
                raise
            time.sleep(1.0 + attempt)
    raise AssertionError("unreachable")


def collect_answer(prompt: HitlPrompt, console: Console) -> dict[str, Any]:
    """The answer body (without ids) for one prompt, asked interactively."""
    body: dict[str, Any] = {}
    kind = prompt.type.value
    if kind == "clarify":
        body["answers"] = {q["id"]: ask_question(q, console)
                           for q in prompt.data.get("questions", [])}
    elif kind == "structure_fix":
        body.update(_structure_fix(prompt, console))
    actions = [a.value for a in prompt.actions]
    editable = kind in EDITABLE and bool(
        {"skill_md", "category"} & set(prompt.answer_schema.get("properties", {})))
    action = choose(console, "Action", [*actions, "edit"] if editable else actions,
                    default="proceed" if "proceed" in actions else actions[0])
    if action == "edit":
        edits = ask_edits(kind, prompt.data, console)
        if not edits:  # nothing changed: choose again
            return collect_answer(prompt, console)
        # "revise" shows the result again before going on; "proceed" goes on with it
        then = (choose(console, "Then", ["proceed", "revise"], default="proceed")
                if "revise" in actions else "proceed")
        return {**edits, "action": then}
    body["action"] = action
    if action == "revise":
        body["feedback"] = ask_text(console, "Feedback (what should change?)")
    if action == "cancel":
        body.pop("answers", None)
    return body


def ask_question(q: dict[str, Any], console: Console) -> Any:
    qtype = q.get("question_type", "single")
    options: list[dict[str, Any]] = q.get("options") or []
    console.print(f"\n[bold]{escape(str(q.get('text', q['id'])))}[/]"
                  + (f"  [dim]{escape(q['rationale'])}[/]" if q.get("rationale") else ""))
    if qtype == "boolean":
        return ask_yes_no(console, "[y/n]")
    if qtype == "text" or not options:
        return ask_text(console, "Answer")
    for i, o in enumerate(options, 1):
        extra = f" — {o['description']}" if o.get("description") else ""
        console.print(f"  {i}) {escape(str(o.get('label', o['id'])))} "
                      f"[dim]({escape(str(o['id']))}){escape(extra)}[/]")
    other = bool(q.get("allows_other"))
    if other:
        console.print("  [dim]or type your own answer[/]")
    multi = qtype == "multi"
    label = (f"Choices (comma-separated, 1-{len(options)})" if multi
             else f"Choice [1-{len(options)}]")
    while True:
        raw = read_line(console, f"{label}:").strip()
        items = [s.strip() for s in raw.split(",")] if multi else [raw]
        picked = [_option(item, options, other) for item in items if item]
        if picked and all(p is not None for p in picked):
            return list(dict.fromkeys(picked)) if multi else picked[0]
        console.print(f"[red]Pick {'numbers' if multi else 'a number'} from the list"
                      + (" or type your own answer" if other else "") + ".[/]")


def _option(raw: str, options: list[dict[str, Any]], allows_other: bool) -> str | None:
    if raw.isdigit() and 1 <= int(raw) <= len(options):
        return str(options[int(raw) - 1]["id"])
    for o in options:
        if raw.lower() in (str(o["id"]).lower(), str(o.get("label", "")).lower()):
            return str(o["id"])
    return raw if allows_other and not raw.isdigit() else None


def _structure_fix(prompt: HitlPrompt, console: Console) -> dict[str, Any]:
    current = prompt.data.get("current", {})
    if prompt.data.get("suggested_fixes") and ask_yes_no(
            console, "Accept the suggested fixes? [y/n]", default=True):
        return {"accept_suggestions": True}
    console.print("Enter your own (Enter keeps the current value):")
    name = read_line(console, f"Skill name [{current.get('skill_name', '')}]:").strip()
    description = read_line(console, "Description [keep current]:").strip()
    body: dict[str, Any] = {"accept_suggestions": False}
    body["skill_name"] = name or current.get("skill_name", "")
    body["description"] = description or current.get("description", "")
    return body


def choose(console: Console, label: str, choices: list[str], *, default: str) -> str:
    """One of `choices`; any unique prefix works, Enter takes the default."""
    shown = "/".join(choices)
    while True:
        raw = read_line(console, f"{label} [{shown}] ({default}):").strip().lower()
        if not raw:
            return default
        matches = [c for c in choices if c.startswith(raw)]
        alias = ACTION_ALIASES.get(raw)
        if alias is not None and alias.value in choices:
            return alias.value
        if len(matches) == 1:
            return matches[0]
        console.print(f"[red]Choose one of: {', '.join(choices)}.[/]")


def ask_yes_no(console: Console, label: str, *, default: bool | None = None) -> bool:
    while True:
        raw = read_line(console, f"{label}:").strip().lower()
        if not raw and default is not None:
            return default
        if raw in YES:
            return True
        if raw in NO:
            return False
        console.print("[red]Answer y or n.[/]")


def ask_text(console: Console, label: str) -> str:
    while True:
        raw = read_line(console, f"{label}:").strip()
        if raw:
            return raw
        console.print("[red]An answer is required.[/]")


