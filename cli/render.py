"""Rich output: tables for lists, panels for one job or prompt, live progress while following."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from api.schemas import AnswerResponse, JobList, JobSummary
from cli.client import SkillEntry
from cli.events import Event
from skill_format.models import ValidationReport
from workflows.models import HitlPrompt, JobView

PHASE_PERCENT = {"queued": 0, "understanding": 10, "generation": 40, "validation": 75,
                 "saving": 90, "done": 100}
PHASE_LABEL = {"understanding": "Understanding the task", "generation": "Writing the skill",
               "validation": "Validating the skill", "saving": "Saving the draft",
               "done": "Done", "queued": "Queued"}
STATUS_STYLE = {"completed": "green", "failed": "red", "cancelled": "yellow",
                "running": "cyan", "pending": "dim"}


def print_json(obj: Any) -> None:
    """Plain JSON on stdout (no rich wrapping or colour), for scripts."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()


def status_text(status: str | None) -> Text:
    status = status or "?"
    style = STATUS_STYLE.get(status, "magenta" if status.startswith("pending_") else "")
    return Text(status, style=style)


# ---------------------------------------------------------------------- lists


def jobs_table(jobs: Iterable[JobSummary], width: int) -> Table:
    """Ids and statuses are never cut (people copy them); narrow terminals lose extras."""
    columns = ["JOB", "STATUS", "PHASE", "WAITING ON", "UPDATED", "TASK"]
    if width < 130:
        columns.remove("UPDATED")
    if width < 110:
        columns = ["JOB", "STATUS", "TASK"]
    rows = [{
        "JOB": j.job_id,
        "STATUS": j.status.value if j.status else "?",
        "PHASE": j.current_phase.value if j.current_phase else "",
        "WAITING ON": j.hitl_type or "",
        "UPDATED": (j.updated_at or j.created_at or "")[:16].replace("T", " "),
        "TASK": " ".join((j.task_description or "").split()),
    } for j in jobs]
    # Rich would squeeze the short columns to fit a long task; cut the task instead.
    fixed = sum(max([len(col), *(len(r[col]) for r in rows)]) for col in columns[:-1])
    room = max(10, width - fixed - 2 * (len(columns) - 1))
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in columns:
        table.add_column(col, no_wrap=True, overflow="ellipsis",
                         max_width=room if col == "TASK" else None)
    for r in rows:
        table.add_row(*(status_text(r[c]) if c == "STATUS" else Text(r[c]) for c in columns))
    return table


def skills_table(skills: Iterable[SkillEntry]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("TAXONOMY PATH", no_wrap=True)
    table.add_column("NAME", no_wrap=True)
    table.add_column("DESCRIPTION")
    for s in skills:
        table.add_row(Text(s.taxonomy_path), Text(s.name), Text(s.description))
    return table


# ---------------------------------------------------------------------- one job


def jobs_listing(page: JobList, width: int) -> list[RenderableType]:
    """`skill-fleet jobs`: the page's table, and how to read the next page."""
    shown: list[RenderableType] = [jobs_table(page.jobs, width) if page.jobs else "No jobs."]
    if page.next_page_token:
        shown.append(f"[dim]more: skill-fleet jobs --page-token {page.next_page_token}[/]")
    return shown


def answer_lines(ack: AnswerResponse, api_url: str) -> list[RenderableType]:
    """`skill-fleet respond`: what the answer did, and the next checkpoint if one is open."""
    note = " (already applied earlier)" if ack.duplicate else ""
    shown: list[RenderableType] = [f"Answered prompt {ack.prompt_id} with {ack.action.value}"
                                   f"{note}; job is {ack.status.value}."]
    if ack.prompt:
        shown += [f"Next checkpoint: {ack.prompt.type.value} (prompt {ack.prompt.prompt_id}): "
                  f"{escape(ack.prompt.summary)}",
                  f"  in the browser: {escape(page_link(api_url, ack.job_id))}"]
    return shown


def page_link(api_url: str, job_id: str) -> str:
    """The job's page on the reviewer page, served by the API the CLI talks to."""
    return f"{api_url.rstrip('/')}/ui/jobs/{job_id}"


def job_panel(view: JobView, link: str | None = None) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("status", status_text(view.status.value))
    grid.add_row("phase", f"{view.current_phase.value} ({view.progress_percent}%)")
    grid.add_row("progress", Text(view.progress_message))
    grid.add_row("user", Text(view.user_id))
    grid.add_row("task", Text(view.task_description))
    if view.skill_name:
        grid.add_row("skill", Text.assemble(view.skill_name, "  ",
                                            (view.intended_taxonomy_path or "", "dim")))
    if view.validation_score is not None:
        verdict = "passed" if view.validation_passed else "failed"
        grid.add_row("validation", f"{verdict} (score {view.validation_score:.2f})")
    if view.draft_path:
        grid.add_row("draft", view.draft_path)
    if view.final_path:
        grid.add_row("promoted to", view.final_path)
    if view.error:
        grid.add_row("error", Text(view.error, style="red"))
    if view.prompt:
        p = view.prompt
        grid.add_row("waiting on", Text(f"{p.type.value} (prompt {p.prompt_id}): {p.summary}"))
        grid.add_row("", f"[dim]answer with `skill-fleet attach {view.job_id}` or "
                         f"`skill-fleet respond {view.job_id} --action ...`[/]")
        if link:
            grid.add_row("in the browser", Text(link))
    grid.add_row("created", view.created_at.isoformat(timespec="seconds"))
    grid.add_row("updated", view.updated_at.isoformat(timespec="seconds"))
    return Panel(grid, title=f"job {view.job_id}", title_align="left")


def report_view(report: ValidationReport, *, all_checks: bool = False) -> Group:
    """Verdict, score parts, then the checks that did not pass (or all of them)."""
    verdict = Text("PASSED", style="bold green") if report.passed else Text(
        "FAILED", style="bold red")
    passed = sum(c.passed for c in report.checks)
    head = Text.assemble("Validation ", verdict, f"  score {report.score:.2f}  ",
                         (f"{passed}/{len(report.checks)} checks passed", "dim"))
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("CHECK", no_wrap=True)
    table.add_column("RESULT")
    for part, value in report.score_parts.items():
        table.add_row(Text("score", style="dim"), part, f"{value:.2f}")
    for c in report.checks:
        if c.passed and not all_checks:
            continue
        mark = Text("ok", style="green") if c.passed else Text(
            c.severity, style="red" if c.severity == "error" else "yellow")
        table.add_row(mark, c.check, Text(c.message))
    parts: list[RenderableType] = [head, table]
    if report.weaknesses:
        parts.append(Text("weaknesses: " + "; ".join(report.weaknesses), style="yellow"))
    return Group(*parts)


def prompt_view(prompt: HitlPrompt, link: str | None = None) -> RenderableType:
    """What a human needs to see to answer a checkpoint (questions are asked one by one),
    and `link`, the same prompt on the reviewer page."""
    data = prompt.data
    title = f"checkpoint: {prompt.type.value} (prompt {prompt.prompt_id})"
    body: list[RenderableType] = [Text(prompt.summary, style="bold")]
    match prompt.type.value:
        case "clarify":
            if data.get("ambiguities"):
                body.append(Text("Unclear: " + "; ".join(data["ambiguities"]), style="dim"))
        case "structure_fix":
            body += [Text(f"• {issue}", style="yellow") for issue in data.get("issues", [])]
            fixes = Table(box=None, header_style="bold", pad_edge=False)
            for col in ("FIELD", "CURRENT", "SUGGESTED", "WHY"):
                fixes.add_column(col)
            for f in data.get("suggested_fixes", []):
                fixes.add_row(*(Text(str(v)) for v in (
                    f.get("field", ""), f.get("current", ""), f.get("suggested", ""),
                    f.get("explanation") or f.get("issue", ""))))
            body.append(fixes)
        case "confirm":
            body.append(_summary_grid(data.get("summary", {})))
        case "preview":
            body.append(Text(f"draft version {data.get('version', 1)}; files: "
                             + (", ".join(data.get("files") or []) or "SKILL.md only"),
                             style="dim"))
            body.append(Panel(skill_md_view(str(data.get("content", ""))), title="SKILL.md",
                              title_align="left"))
        case "validate":
            body.append(report_view(ValidationReport.model_validate(data.get("report", {}))))
    body += _changes(data)
    if prompt.revisions_left or prompt.revisions_used:
        body.append(Text(f"revisions used {prompt.revisions_used}, "
                         f"left {prompt.revisions_left}", style="dim"))
    if link:
        body.append(Text(f"in the browser: {link}"))
    return Panel(Group(*body), title=title, title_align="left", border_style="yellow")


def _changes(data: dict[str, Any]) -> list[RenderableType]:
    """What the author could not do, and what changed since the last version or plan."""
    shown: list[RenderableType] = [Text(f"author: {note}", style="yellow")
                                   for note in data.get("author_notes") or []]
    if data.get("author"):
        shown.append(Text(f"written by {data['author']}", style="dim"))
    if data.get("diff"):
        from rich.syntax import Syntax  # only prompts with a diff pay for it

        shown.append(Panel(Syntax(str(data["diff"]), "diff", word_wrap=True),
                           title="changes", title_align="left"))
    return shown


def skill_md_view(text: str) -> RenderableType:
    """Frontmatter as YAML, the body as Markdown (Markdown alone would mangle the YAML)."""
    # Imported here: only previews need them, and every command pays for startup.
    from rich.markdown import Markdown
    from rich.syntax import Syntax

    from skill_format import FrontmatterError, split_skill_md

    try:
        front, body = split_skill_md(text)
    except FrontmatterError:
        front, body = None, text
    if front is None:
        return Markdown(body)
    return Group(Syntax(front.strip("\n"), "yaml", theme="ansi_dark", word_wrap=True),
                 Rule(style="dim"), Markdown(body))


def _summary_grid(summary: dict[str, Any]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in summary.items():
        if isinstance(value, list):
            value = "\n".join(f"• {v}" for v in value) or "—"
        grid.add_row(key.replace("_", " "), Text(str(value)))
    return grid


# ---------------------------------------------------------------------- following


def event_line(ev: Event) -> str | None:
    """One markup line per event worth telling a human about (terminal ones are summarised)."""
    d = {k: escape(str(v)) if isinstance(v, str) else v for k, v in ev.data.items()}
    match ev.kind:
        case "job_started":
            return "[dim]job started[/]"
        case "phase_started":
            return f"→ {PHASE_LABEL.get(d.get('phase', ''), d.get('phase', ''))}"
        case "phase_output":
            where = f" [dim]({d['taxonomy_path']})[/]" if d.get("taxonomy_path") else ""
            return f"  [dim]plan:[/] {d.get('skill_name', '')}{where}"
        case "prompt_raised":
            return f"[yellow]? {d.get('summary') or d.get('type', 'checkpoint')}[/]"
        case "answer_accepted":
            how = " [dim](timeout policy)[/]" if d.get("source") == "timeout" else ""
            return f"[green]✓[/] answer accepted: {d.get('action', 'proceed')}{how}"
        case "answer_rejected":
            return f"[red]✗ answer rejected:[/] {d.get('message', d.get('reason', ''))}"
        case "prompt_timed_out":
            return f"[yellow]⏱ prompt {d.get('prompt_id')} timed out[/] → {d.get('timeout_action')}"
        case "version_created":
            return f"  draft version {d.get('version')}"
        case "validated":
            verdict = "[green]passed[/]" if d.get("passed") else "[red]failed[/]"
            score = d.get("score")
            return f"  validation {verdict}" + (f" (score {score:.2f})"
                                                  if isinstance(score, int | float) else "")
        case "promoted":
            return f"[green]★ promoted to {d.get('final_path')}[/]"
    return None


class Tracker:
    """A spinner and progress bar on an interactive terminal; plain event lines elsewhere."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_interactive
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            TaskProgressColumn(), TimeElapsedColumn(), console=console, transient=True,
        )
        self._task = self._progress.add_task("Starting", total=100)
        self._running = False

    def start(self) -> None:
        if self.live and not self._running:
            self._progress.start()
            self._running = True

    def stop(self) -> None:
        if self._running:
            self._progress.stop()
            self._running = False

    def show_state(self, view: JobView) -> None:
        self._progress.update(self._task, description=view.progress_message,
                              completed=view.progress_percent)

    def update(self, ev: Event) -> None:
        d = ev.data
        if ev.kind == "phase_started":
            phase = str(d.get("phase", ""))
            self._progress.update(self._task, description=PHASE_LABEL.get(phase, phase),
                                  completed=PHASE_PERCENT.get(phase, 0))
        elif ev.kind == "prompt_raised":
            self._progress.update(self._task, description=f"Waiting: {d.get('summary', '')}")
        elif ev.kind == "answer_accepted":
            self._progress.update(self._task, description="Continuing")
        elif ev.terminal:
            self._progress.update(self._task, completed=100)
        line = None if ev.replayed else event_line(ev)
        if line:
            self.console.print(line, highlight=False)
