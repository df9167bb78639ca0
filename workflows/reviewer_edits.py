"""A reviewer's direct edits: their schema, their checks, and how they are applied.

Free text goes to the author, who may or may not be able to act on it; an edit is the
reviewer's own words and is applied as given: to the plan at `confirm`, as a new version
written by the reviewer at `preview`. Pure and deterministic, so the workflow runs it, and
the answer schema a prompt publishes is the one its answers are checked against.
"""

from __future__ import annotations

import difflib
from typing import Any

from skill_format.skill_name import SKILL_NAME_PATTERN
from workflows.activity_models import SkillContent, Understanding
from workflows.models import HitlResponse, HitlType, JobState, RewindEdits
from workflows.taxonomy import (
    CATEGORIES,
    MAX_CATEGORY_SEGMENTS,
    category_pattern,
    taxonomy_path,
)

PLAN_FIELDS = ("skill_name", "description", "category", "outline")
CONTENT_FIELDS = ("skill_md", "files")
EDIT_FIELDS: dict[HitlType, tuple[str, ...]] = {
    HitlType.CONFIRM: PLAN_FIELDS,
    HitlType.PREVIEW: CONTENT_FIELDS,
}
PLAIN_TEXT_PATTERN = r"^[^<>]*$(?!\n)"
# A section heading: one line, no Markdown markup that would change its level or meaning.
SECTION_PATTERN = r"^[^<>#\n\r]*[^<>#\s][^<>#\n\r]*$(?!\n)"
MAX_SECTIONS = 30
MAX_SECTION_CHARS = 80
# The same bound as the authors' output (`activities.authoring.MAX_SKILL_BYTES`): well
# under Temporal's payload limit with room for the job's other state.
MAX_EDIT_BYTES = 512 * 1024
MAX_SKILL_MD_CHARS = 200_000
MAX_FILE_CHARS = 200_000
MAX_FILES = 30
# A path inside the skill folder as drafts write it: relative, '/'-separated, at most 4
# levels, each segment plain ASCII not starting with '.' (so no '..', no hidden files).
FILE_PATH_PATTERN = (r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}"
                     r"(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,3}$(?!\n)")
# Prompts and the job's view carry the diff up to this size; each version keeps it whole.
MAX_SHOWN_DIFF_CHARS = 8_000


def edit_properties(hitl_type: HitlType, data: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema properties of the edits an answer at `hitl_type` may carry."""
    if hitl_type is HitlType.CONFIRM:
        current = str(data.get("summary", {}).get("taxonomy_path", ""))
        own = current.split("/")[0] if "/" in current else None
        return {
            "skill_name": {"type": "string", "pattern": SKILL_NAME_PATTERN, "maxLength": 64,
                           "description": "lowercase letters, digits and single hyphens "
                                          "(e.g. triage-latency-alerts), at most 64 characters"},
            "description": {"type": "string", "minLength": 1, "maxLength": 1024,
                            "pattern": PLAIN_TEXT_PATTERN,
                            "description": "plain text without < or >, 1-1024 characters"},
            "category": {"type": "string", "maxLength": 64 * MAX_CATEGORY_SEGMENTS,
                         "pattern": category_pattern(own),
                         "description": "a known category (" + ", ".join(CATEGORIES)
                                        + "), optionally with kebab-case sub-categories "
                                          "(devops/observability)"},
            "outline": {"type": "array", "minItems": 1, "maxItems": MAX_SECTIONS,
                        "uniqueItems": True,
                        "items": {"type": "string", "maxLength": MAX_SECTION_CHARS,
                                  "pattern": SECTION_PATTERN,
                                  "description": "a section heading: one line without "
                                                 "'#', '<' or '>'"}},
        }
    if hitl_type is HitlType.PREVIEW:
        return {
            "skill_md": {"type": "string", "minLength": 1, "maxLength": MAX_SKILL_MD_CHARS,
                         "description": "the whole SKILL.md, frontmatter included"},
            "files": {
                "type": "object",
                "maxProperties": MAX_FILES,
                "propertyNames": {"pattern": FILE_PATH_PATTERN, "not": {"const": "SKILL.md"},
                                  "description": "a relative path inside the skill folder "
                                                 "(references/checklist.md): no leading '/', "
                                                 "no '.' or '..' segments, not SKILL.md"},
                "additionalProperties": {"type": ["string", "null"],
                                         "maxLength": MAX_FILE_CHARS},
            },
        }
    return {}


def revise_needs(hitl_type: HitlType) -> dict[str, Any]:
    """What `revise` must carry: feedback, or (where edits are taken) at least one edit."""
    feedback = {"required": ["feedback"],
                "properties": {"feedback": {"type": "string", "minLength": 1}}}
    fields = EDIT_FIELDS.get(hitl_type)
    if not fields:
        return feedback
    return {"anyOf": [feedback, *({"required": [f]} for f in fields)],
            "description": "revise needs feedback or an edit (" + ", ".join(fields) + ")"}


def extra_refusal(hitl_type: HitlType, response: HitlResponse,
                  data: dict[str, Any]) -> str | None:
    """What a JSON Schema cannot say: the whole skill's size, a file where a folder is."""
    if hitl_type is not HitlType.PREVIEW or (response.skill_md is None and not response.files):
        return None
    files = set(data.get("files", []))
    for path, text in (response.files or {}).items():
        (files.add if text is not None else files.discard)(path)
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if (folder := "/".join(parts[:depth])) in files:
                return f"files/{folder}: a file cannot also be the folder of {path}"
    size = len((response.skill_md or str(data.get("content", ""))).encode())
    size += sum(len(t.encode()) for t in (response.files or {}).values() if t)
    if size > MAX_EDIT_BYTES:
        return f"skill_md/files: the edited skill is over {MAX_EDIT_BYTES} bytes ({size})"
    return None


def edits_of(response: HitlResponse, hitl_type: HitlType) -> dict[str, Any]:
    """The edit fields the answer set, of those this checkpoint takes."""
    return {f: getattr(response, f) for f in EDIT_FIELDS.get(hitl_type, ())
            if getattr(response, f) is not None}


def category_of(plan: Understanding) -> str:
    """The plan's category path: its taxonomy path without the skill's name."""
    head, sep, _ = plan.taxonomy_path.rpartition("/")
    return head if sep and head else (plan.category or "general")


def apply_plan_edits(plan: Understanding, edits: dict[str, Any]) -> Understanding:
    """The plan with the reviewer's name, description, category and outline."""
    updates = {k: v for k, v in edits.items() if k in PLAN_FIELDS and v is not None}
    if not updates:
        return plan
    category = updates.get("category") or category_of(plan)
    edited = plan.model_copy(update=updates, deep=True)
    edited.category = category.split("/")[0]
    edited.taxonomy_path = taxonomy_path(category, edited.skill_name)
    return edited


def apply_content_edits(content: SkillContent, edits: dict[str, Any],
                        author: str) -> SkillContent:
    """The reviewer's version: their SKILL.md and files (a null file is removed)."""
    files = dict(content.files)
    for path, text in (edits.get("files") or {}).items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    skill_md = edits.get("skill_md")
    return SkillContent(skill_md=content.skill_md if skill_md is None else skill_md,
                        files=files, author=author)


def merge_rewind_edits(plan_edits: dict[str, Any], edits: dict[str, Any]) -> None:
    """A rewind's edits replace the same fields edited earlier at confirm (newest wins)."""
    for key, value in edits.items():
        if key in plan_edits and value:
            plan_edits[key] = value


def _diff(before: str | None, after: str | None, path: str) -> list[str]:
    return list(difflib.unified_diff(
        (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True),
        fromfile=f"a/{path}" if before is not None else "/dev/null",
        tofile=f"b/{path}" if after is not None else "/dev/null",
    ))


def _joined(lines: list[str]) -> str:
    return "".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n"
                   for ln in lines)


def content_diff(old: SkillContent | None, new: SkillContent) -> str:
    """A unified diff of SKILL.md and every bundled file, as `git diff` shows a folder."""
    before = old or SkillContent(skill_md="")
    lines = _diff(before.skill_md, new.skill_md, "SKILL.md") if before.skill_md != new.skill_md \
        else []
    for path in sorted(set(before.files) | set(new.files)):
        a, b = before.files.get(path), new.files.get(path)
        if a != b:
            lines += _diff(a, b, path)
    return _joined(lines)


def plan_text(plan: Understanding) -> str:
    """The parts of a plan a reviewer edits, one per line, for a readable diff."""
    lines = [f"skill_name: {plan.skill_name}", f"taxonomy_path: {plan.taxonomy_path}",
             f"description: {plan.description}", "outline:"]
    lines += [f"  - {section}" for section in plan.outline]
    return "\n".join(lines) + "\n"


def plan_diff(old: Understanding, new: Understanding) -> str:
    return _joined(_diff(plan_text(old), plan_text(new), "plan"))


def rewound_plan(plan: Understanding, edits: RewindEdits) -> Understanding:
    """The plan a rewind to generation goes on with: the rewind's name, description, outline."""
    updates = {k: v for k, v in {"skill_name": edits.skill_name,
                                "description": edits.description,
                                "outline": edits.outline}.items() if v}
    rewound = plan.model_copy(update=updates)
    if edits.skill_name:
        category = rewound.taxonomy_path.rpartition("/")[0] or rewound.category or "general"
        rewound.taxonomy_path = taxonomy_path(category, edits.skill_name)
    return rewound


def shown(diff: str | None, limit: int = MAX_SHOWN_DIFF_CHARS) -> str | None:
    """The diff as prompts and the job's view carry it: cut past `limit` characters."""
    if not diff or len(diff) <= limit:
        return diff or None
    return diff[:limit] + f"\n... (diff cut at {limit} characters; the version keeps it whole)\n"


def edit_plan(state: JobState, plan: Understanding,
              answer: HitlResponse) -> tuple[Understanding, dict[str, Any] | None]:
    """Apply a confirm answer's edits to the plan and the job's state.

    Returns the plan and the `plan_edited` event's data (None when the answer has no edits).
    """
    edits = edits_of(answer, HitlType.CONFIRM)
    if not edits:
        return plan, None
    state.plan_edits.update(edits)
    edited = apply_plan_edits(plan, edits)
    state.last_diff = shown(plan_diff(plan, edited))
    state.understanding = edited  # the state's skill_name and taxonomy path follow it
    return edited, {"edited_by": answer.answered_by or state.user_id, "fields": sorted(edits),
                    "taxonomy_path": edited.taxonomy_path}


def reviewer_version(state: JobState, content: SkillContent,
                     answer: HitlResponse) -> SkillContent | None:
    """The version a preview answer's edits make, written by whoever answered."""
    edits = edits_of(answer, HitlType.PREVIEW)
    if not edits:
        return None
    return apply_content_edits(content, edits, answer.answered_by or state.user_id)


def changes_shown(diff: str | None, notes: list[str]) -> dict[str, Any]:
    """The prompt data that says what changed and what the author could not do."""
    return {k: v for k, v in {"diff": diff, "author_notes": notes}.items() if v}
