"""What the authoring, validation and draft activities take and return.

The plan (`Understanding`), the skill's files (`SkillContent`), the validator's report and
the draft I/O: small explicit inputs and outputs per activity, shared with the workflow.
The skill and the report are the validator's own models (`skill_format.models`), re-exported
here for the workflow code that carries them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from skill_format.models import (
    SkillContent as SkillContent,
    TokenUsage as TokenUsage,
    ValidationReport as ValidationReport,
)

# A list of short texts, empty unless given (the plan's many lists read one per line).
Texts = Annotated[list[str], Field(default_factory=list)]


class QuestionOption(BaseModel):
    id: str
    label: str
    description: str = ""


class ClarifyingQuestion(BaseModel):
    id: str
    text: str
    question_type: Literal["boolean", "single", "multi", "text"] = "single"
    options: list[QuestionOption] = Field(default_factory=list)
    allows_other: bool = False
    rationale: str = ""


class SuggestedFix(BaseModel):
    field: Literal["skill_name", "description"]
    issue: str
    current: str
    suggested: str
    explanation: str = ""


class ResourcePlan(BaseModel):
    """A file worth bundling next to SKILL.md (references/ or scripts/)."""

    path: str
    purpose: str


class Understanding(BaseModel):
    """The plan for a skill, produced by the Understanding phase."""

    domain: str = ""
    category: str = ""
    topics: Texts
    constraints: Texts
    ambiguities: Texts
    example_requests: Texts
    near_misses: Texts
    skill_name: str = ""
    description: str = ""
    taxonomy_path: str = ""
    outline: Texts
    resources: list[ResourcePlan] = Field(default_factory=list)
    success_criteria: Texts
    assumptions: Texts
    questions: list[ClarifyingQuestion] = Field(default_factory=list)
    rule_issues: Texts
    suggested_fixes: list[SuggestedFix] = Field(default_factory=list)
    # What the author could not do with the reviewer's words, said plainly in the next prompt.
    notes: Texts
    # Tokens the model spent on this plan (None: no model, or written before this was kept).
    usage: TokenUsage | None = None


class UnderstandInput(BaseModel):
    task_description: str
    clarifications: dict[str, Any] = Field(default_factory=dict)
    feedback: Texts
    skill_name: str | None = None
    description: str | None = None
    # Once a human has answered clarify, we do not ask again.
    allow_questions: bool = True


class GenerateInput(BaseModel):
    task_description: str
    plan: Understanding
    previous: SkillContent | None = None
    feedback: str | None = None


class ValidateInput(BaseModel):
    skill_name: str
    content: SkillContent
    example_requests: Texts
    near_misses: Texts
    pass_threshold: float = 0.75


class SaveDraftInput(BaseModel):
    job_id: str
    taxonomy_path: str
    content: SkillContent


class SaveDraftResult(BaseModel):
    draft_path: str


class DeleteDraftInput(BaseModel):
    job_id: str
