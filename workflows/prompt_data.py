"""What each checkpoint shows: `prompt_data.preview(state)` is a preview prompt's `data`.

Pure functions of the job's state: the workflow raises a prompt with their result, and the
answer schema (`workflows.hitl.answer_schema`) is built from the same data.
"""

from __future__ import annotations

from typing import Any

from workflows.models import (
    HitlResponse,
    JobState,
    SkillContent,
    Understanding,
    ValidationReport,
)
from workflows.reviewer_edits import changes_shown
from workflows.version_store import VersionStore


def clarify(plan: Understanding) -> dict[str, Any]:
    return {
        "questions": [q.model_dump() for q in plan.questions],
        "ambiguities": plan.ambiguities,
    }


def structure_fix(plan: Understanding) -> dict[str, Any]:
    return {
        "issues": plan.rule_issues,
        "warnings": [],
        "suggested_fixes": [f.model_dump() for f in plan.suggested_fixes],
        "current": {"skill_name": plan.skill_name, "description": plan.description},
    }


def structure_choice(plan: Understanding, answer: HitlResponse) -> tuple[str, str]:
    """The name and description a structure_fix answer asks the next plan to use."""
    suggested = {f.field: f.suggested for f in plan.suggested_fixes}
    if answer.accept_suggestions:
        name = suggested.get("skill_name", plan.skill_name)
        description = suggested.get("description", plan.description)
    else:
        name, description = plan.skill_name, plan.description
    return answer.skill_name or name, answer.description or description


def confirm(plan: Understanding, last_diff: str | None) -> dict[str, Any]:
    summary = {
        "skill_name": plan.skill_name,
        "description": plan.description,
        "taxonomy_path": plan.taxonomy_path,
        "scope": plan.outline,
        "key_assumptions": plan.assumptions,
        "example_requests": plan.example_requests,
    }
    return {"summary": summary, **changes_shown(last_diff, plan.notes)}


def preview(state: JobState, versions: VersionStore) -> dict[str, Any]:
    """The newest version, with what changed since the one before."""
    content = versions.content
    assert content is not None
    previous = versions.previous
    return {
        "content": content.skill_md,
        "files": sorted(content.files),
        "highlights": [ln for ln in content.skill_md.splitlines() if ln.startswith("#")],
        "version": len(state.versions),
        "previous_content": previous.skill_md if previous else None,
        **({"diff": state.last_diff} if previous else {}),
        **({"author": content.author} if content.author else {}),
        **({"author_notes": content.notes} if content.notes else {}),
    }


def review(content: SkillContent | None, report: ValidationReport) -> dict[str, Any]:
    notes = content.notes if content else []
    return {"report": report.model_dump(), **({"author_notes": notes} if notes else {})}
