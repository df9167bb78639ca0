"""What each checkpoint shows above its form, and the words its form fields get.

The form itself comes from the prompt's `answer_schema` (api/ui/schema_form.py); this
module only adds what the schema cannot say: a question's text and its options' labels,
the plan, the rendered SKILL.md, the validation report.
"""

from __future__ import annotations

from typing import Any

from api.ui.diffs import from_unified, side_by_side, word_diff
from api.ui.markdown_view import render_skill
from api.ui.schema_form import Choice
from workflows.models import HitlAction, HitlPrompt, HitlType

TITLES = {
    HitlType.CLARIFY: "Answer a few questions",
    HitlType.STRUCTURE_FIX: "Fix the skill's name or description",
    HitlType.CONFIRM: "Confirm the plan",
    HitlType.PREVIEW: "Review the draft SKILL.md",
    HitlType.VALIDATE: "Review the validation report",
}
SEVERITY_ORDER = ("error", "warning", "info")


def form_hints(prompt: HitlPrompt) -> dict[str, dict[str, Any]]:
    """Labels, help and choice labels by the field's dotted path."""
    data = prompt.data
    revise_help = {"feedback": {"help": "What should change, to revise."}} if (
        HitlAction.REVISE in prompt.actions) else {}
    if prompt.type is HitlType.CLARIFY:
        hints: dict[str, dict[str, Any]] = {}
        for q in data.get("questions", []):
            choices = [Choice(str(o.get("id")), str(o.get("label") or o.get("id")),
                              str(o.get("description") or "")) for o in q.get("options", [])]
            hints[f"answers.{q.get('id')}"] = {"label": q.get("text") or q.get("id"),
                                               "help": q.get("rationale") or "",
                                               "choices": choices}
        hints["answers"] = {"label": "Your answers"}
        return hints
    if prompt.type is HitlType.STRUCTURE_FIX:
        current = data.get("current") or {}
        return {
            "accept_suggestions": {"label": "Accept the suggested fixes", "default": True},
            "skill_name": {"help": f"Or your own name (now: {current.get('skill_name', '')})."},
            "description": {"help": "Or your own description.", "multiline": True},
        }
    if prompt.type is HitlType.CONFIRM:
        # The plan's fields, editable where the schema allows: an unchanged one is not sent.
        summary = data.get("summary") or {}
        taxonomy = str(summary.get("taxonomy_path") or "")
        current = {"skill_name": summary.get("skill_name"),
                   "description": summary.get("description"),
                   "category": taxonomy.rsplit("/", 1)[0] if "/" in taxonomy else None,
                   "outline": summary.get("scope")}
        return {**revise_help, **{name: {"value": value} for name, value in current.items()
                                  if value}}
    if prompt.type is HitlType.PREVIEW:
        return {**revise_help,
                "skill_md": {"value": data.get("content") or None,
                             "help": "Edit the file here to revise it yourself."},
                "files": {"help": "A JSON object of path -> new text (null removes a "
                                  "file), e.g. {\"references/notes.md\": \"...\"}."}}
    return revise_help


def checkpoint_context(prompt: HitlPrompt) -> dict[str, Any]:
    """The payload of the prompt, arranged for its template section."""
    data = prompt.data
    context: dict[str, Any] = {"title": TITLES.get(prompt.type, prompt.type.value)}
    if prompt.type is HitlType.CLARIFY:
        context["ambiguities"] = data.get("ambiguities") or []
    elif prompt.type is HitlType.STRUCTURE_FIX:
        context["issues"] = data.get("issues") or []
        context["fixes"] = [{**fix, "pieces": word_diff(str(fix.get("current") or ""),
                                                        str(fix.get("suggested") or ""))}
                            for fix in data.get("suggested_fixes") or []]
    elif prompt.type is HitlType.CONFIRM:
        summary = data.get("summary") or {}
        context["plan"] = [(key.replace("_", " ").capitalize(), value)
                           for key, value in summary.items()]
    elif prompt.type is HitlType.PREVIEW:
        source = str(data.get("content") or "")
        previous = data.get("previous_content")
        diff = data.get("diff")
        rows = (side_by_side(str(previous), source) if previous is not None
                else from_unified(str(diff)) if diff else None)
        context.update(source=source, rendered=render_skill(source, under_level=3),
                       version=data.get("version"), files=data.get("files") or [],
                       previous=previous, diff_rows=rows,
                       author_notes=data.get("author_notes") or [])
    elif prompt.type is HitlType.VALIDATE:
        report = data.get("report") or {}
        checks = report.get("checks") or []
        groups = [(sev, [c for c in checks if c.get("severity", "error") == sev])
                  for sev in SEVERITY_ORDER]
        context.update(report=report, check_groups=[(s, cs) for s, cs in groups if cs],
                       findings=[f for f in report.get("findings") or [] if f.get("message")])
    return context
