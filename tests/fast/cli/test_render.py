"""Rendering (cli/render.py): what a person sees of each checkpoint, event and table.

Rendered to plain text at a fixed width; the checks are the facts a reader needs, so
a styling change passes and a lost field fails.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console, RenderableType
from rich.text import Text

from cli.events import Event
from cli.render import event_line, jobs_table, prompt_view, skill_md_view
from tests.fast.cli.fakes import JOB_ID, make_prompt, summary
from workflows.models import HitlType


def text(renderable: RenderableType, width: int = 120) -> str:
    console = Console(file=io.StringIO(), width=width, highlight=False)
    console.print(renderable)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


@pytest.mark.parametrize(("kind", "facts"), [
    (HitlType.CLARIFY, ["checkpoint: clarify (prompt 1)", "4 question(s) about the task",
                        "Unclear: which repositories"]),
    (HitlType.STRUCTURE_FIX, ["Name/description break 1 rule(s)", "• name has capitals",
                              "FIELD", "SUGGESTED", "skill_name", "Git-Msgs", "git-msgs",
                              "lowercase only"]),
    (HitlType.CONFIRM, ["Confirm the plan for 'git-commit-messages'", "skill name",
                        "development/git-commit-messages", "• format", "key assumptions",
                        "—"]),
    (HitlType.PREVIEW, ["Review draft version 1 of SKILL.md",
                        "draft version 1; files: references/types.md", "SKILL.md",
                        "name: git-commit-messages", "Git Commit Messages", "When to Use"]),
    (HitlType.VALIDATE, ["Validation passed (score 0.91)", "Validation PASSED  score 0.91",
                         "1/2 checks passed", "structure", "trigger_clarity",
                         "description could name more triggers", "weaknesses: few examples"]),
])
def test_each_checkpoint_shows_what_is_decided(kind: HitlType, facts: list[str]) -> None:
    shown = text(prompt_view(make_prompt(kind)))
    for fact in facts:
        assert fact in shown, (fact, shown)


def test_validate_checkpoint_hides_passing_checks() -> None:
    shown = text(prompt_view(make_prompt(HitlType.VALIDATE)))
    assert "name_format" not in shown


def test_revisions_are_counted_on_revisable_checkpoints() -> None:
    shown = text(prompt_view(make_prompt(HitlType.CONFIRM, 3, revisions_used=1,
                                         revisions_left=2)))
    assert "checkpoint: confirm (prompt 3)" in shown and "revisions used 1, left 2" in shown
    assert "revisions" not in text(prompt_view(make_prompt(HitlType.CLARIFY)))


def test_preview_without_extra_files_says_so() -> None:
    shown = text(prompt_view(make_prompt(HitlType.PREVIEW, files=[])))
    assert "files: SKILL.md only" in shown


@pytest.mark.parametrize(("content", "shown"), [
    ("# Just a body\n\nNo frontmatter.", "No frontmatter."),
    ("---\nname: x\n# never closed\n", "never closed"),  # shown as Markdown, not lost
])
def test_skill_md_without_frontmatter_renders_as_markdown(content: str, shown: str) -> None:
    assert shown in text(skill_md_view(content))


@pytest.mark.parametrize(("kind", "data", "line"), [
    ("job_started", {}, "job started"),
    ("phase_started", {"phase": "generation"}, "→ Writing the skill"),
    ("phase_started", {"phase": "new-phase"}, "→ new-phase"),
    ("phase_output", {"skill_name": "x", "taxonomy_path": "dev/x"}, "  plan: x (dev/x)"),
    ("phase_output", {"skill_name": "x"}, "  plan: x"),
    ("prompt_raised", {"summary": "Confirm [the] plan"}, "? Confirm [the] plan"),
    ("prompt_raised", {"type": "preview"}, "? preview"),
    ("answer_accepted", {"action": "revise"}, "✓ answer accepted: revise"),
    ("answer_accepted", {"source": "timeout"}, "✓ answer accepted: proceed (timeout policy)"),
    ("answer_rejected", {"message": "bad [answer]"}, "✗ answer rejected: bad [answer]"),
    ("prompt_timed_out", {"prompt_id": 2, "timeout_action": "proceed"},
     "⏱ prompt 2 timed out → proceed"),
    ("version_created", {"version": 2}, "  draft version 2"),
    ("validated", {"passed": False, "score": 0.5}, "  validation failed (score 0.50)"),
    ("validated", {"passed": True}, "  validation passed"),
    ("promoted", {"final_path": "dev/x"}, "★ promoted to dev/x"),
])
def test_event_lines(kind: str, data: dict[str, Any], line: str) -> None:
    """Server text is escaped: brackets in a message are shown, not taken as markup."""
    markup = event_line(Event(1, kind, data))
    assert markup is not None and Text.from_markup(markup).plain == line


@pytest.mark.parametrize("kind", ["completed", "failed", "cancelled", "heartbeat"])
def test_terminal_and_unknown_events_have_no_line(kind: str) -> None:
    assert event_line(Event(1, kind, {})) is None  # the outcome is summarised at the end


@pytest.mark.parametrize(("width", "columns"), [
    (140, ["JOB", "STATUS", "PHASE", "WAITING", "ON", "UPDATED", "TASK"]),
    (120, ["JOB", "STATUS", "PHASE", "WAITING", "ON", "TASK"]),
    (100, ["JOB", "STATUS", "TASK"]),
])
def test_jobs_table_drops_extras_as_the_terminal_narrows(width: int,
                                                         columns: list[str]) -> None:
    table = jobs_table([summary(JOB_ID, task_description="fix   the\nthing " * 30)], width)
    lines = text(table, width).splitlines()
    assert lines[0].split() == columns
    assert JOB_ID in lines[1] and "fix the thing" in lines[1]  # whitespace folded
    assert all(len(line) <= width for line in lines) and lines[1].endswith("…")
