"""One prompt per checkpoint type, with the real answer schema the workflow would publish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.fast.api.samples import NOW
from workflows.hitl import PHASE_OF, allowed_actions, answer_schema
from workflows.models import HitlPrompt, HitlType

QUESTIONS: list[dict[str, Any]] = [
    {"id": "audience", "text": "Who will use the skill?", "question_type": "single",
     "options": [{"id": "devs", "label": "Developers"}, {"id": "ops", "label": "Operators"}],
     "allows_other": True, "rationale": "Sets the tone."},
    {"id": "formats", "text": "Which outputs?", "question_type": "multi",
     "options": [{"id": "checklist", "label": "A checklist"},
                 {"id": "report", "label": "A report"}], "allows_other": True},
    {"id": "depth", "text": "How deep?", "question_type": "single",
     "options": [{"id": "quick", "label": "Quick"}, {"id": "full", "label": "Thorough"}]},
    {"id": "examples", "text": "Include examples?", "question_type": "boolean"},
    {"id": "subject", "text": "What exactly is the subject?", "question_type": "text"},
]
SKILL_MD = """---
name: "review-python-prs"
description: "Reviews Python pull requests. Use when asked to review a PR."
---

# Review Python PRs

## Instructions
1. Read the **diff**.
2. Check `tests`.

| check | why |
| --- | --- |
| secrets | leaks |
"""


def data_for(hitl_type: HitlType) -> dict[str, Any]:
    if hitl_type is HitlType.CLARIFY:
        return {"questions": QUESTIONS, "ambiguities": ["the subject is vague"]}
    if hitl_type is HitlType.STRUCTURE_FIX:
        return {"issues": ["name is not kebab-case"], "warnings": [],
                "suggested_fixes": [{"field": "skill_name", "issue": "not kebab-case",
                                     "current": "Review_PRs", "suggested": "review-prs",
                                     "explanation": "lowercase with hyphens"}],
                "current": {"skill_name": "Review_PRs", "description": "Reviews PRs."}}
    if hitl_type is HitlType.CONFIRM:
        return {"summary": {"skill_name": "review-python-prs", "description": "Reviews PRs.",
                            "taxonomy_path": "development/review-python-prs",
                            "scope": ["Read the diff", "Check tests"],
                            "key_assumptions": ["Python 3"], "example_requests": ["review"]}}
    if hitl_type is HitlType.PREVIEW:
        return {"content": SKILL_MD, "files": [], "highlights": [], "version": 2,
                "previous_content": SKILL_MD.replace("Thorough", "")}
    return {"report": {"passed": False, "score": 0.6, "errors": ["name: too long"],
                       "warnings": ["no examples"],
                       "checks": [{"check": "name", "passed": False, "severity": "error",
                                   "message": "too long"},
                                  {"check": "examples", "passed": False,
                                   "severity": "warning", "message": "no examples"}]}}


def prompt_for(hitl_type: HitlType, *, prompt_id: int = 1, revisions_left: int = 3,
               data: dict[str, Any] | None = None) -> HitlPrompt:
    data = data_for(hitl_type) if data is None else data
    actions = allowed_actions(hitl_type, revisions_left=revisions_left)
    return HitlPrompt(prompt_id=prompt_id, type=hitl_type, phase=PHASE_OF[hitl_type],
                      created_at=NOW, deadline=NOW + timedelta(hours=1), actions=actions,
                      answer_schema=answer_schema(hitl_type, data, actions),
                      revisions_left=revisions_left, summary=f"{hitl_type.value} prompt",
                      assignee="alice", data=data)


def every_prompt() -> list[HitlPrompt]:
    """Each type, and the revisable ones also past their revision cap (no revise)."""
    prompts = [prompt_for(t) for t in HitlType]
    prompts += [prompt_for(t, revisions_left=0)
                for t in (HitlType.CONFIRM, HitlType.PREVIEW, HitlType.VALIDATE)]
    return prompts
