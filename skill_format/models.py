"""What the validator reports and reads: checks, findings, trigger cases, the report, a skill.

The validator owns these models; the workflow and its activities carry them in their
inputs, outputs and state (`workflows.activity_models` re-exports them), so their JSON
shape is part of every job's history: add fields only with defaults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


# Carried on SkillContent (what the model spent on a draft); kept beside it so the validator's
# models need nothing of the workflow's.
class TokenUsage(BaseModel):
    """Tokens of LLM calls (pydantic-ai's usage): what a model provider bills."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def plus(self, other: TokenUsage | None) -> TokenUsage:
        if other is None:
            return self
        return TokenUsage(calls=self.calls + other.calls,
                          input_tokens=self.input_tokens + other.input_tokens,
                          output_tokens=self.output_tokens + other.output_tokens)


class SkillContent(BaseModel):
    """A skill folder held in memory: SKILL.md plus bundled files (relative path -> text)."""

    skill_md: str
    files: dict[str, str] = Field(default_factory=dict)
    # Who wrote it: "model", "offline" or a reviewer's user id (None: written before this
    # was recorded). Not part of the folder on disk.
    author: str | None = None
    # What the author could not do with the reviewer's words, said plainly in the next prompt.
    notes: list[str] = Field(default_factory=list)
    # Tokens the model spent on this version (None: no model, or not recorded).
    usage: TokenUsage | None = None


class ValidationCheck(BaseModel):
    check: str
    passed: bool
    severity: Literal["error", "warning", "info"] = "error"
    message: str


class TriggerCase(BaseModel):
    request: str
    should_trigger: bool
    triggered: bool

    @property
    def ok(self) -> bool:
        return self.should_trigger == self.triggered


class Finding(BaseModel):
    """Evidence behind a score part: where in SKILL.md (body lines), which words, and why."""

    part: str
    message: str
    lines: list[int] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)


# The verdict alone, what the skill library shows of a stored skill; the report extends it.
class ValidationSummary(BaseModel):
    passed: bool
    score: float
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ValidationReport(ValidationSummary):
    checks: list[ValidationCheck] = Field(default_factory=list)
    score_parts: dict[str, float] = Field(default_factory=dict)
    trigger_cases: list[TriggerCase] = Field(default_factory=list)
    strengths: list[str] = Field(default_factory=list)
    weaknesses: list[str] = Field(default_factory=list)
    # Added later (defaults keep older reports readable): evidence per part, each part's
    # weight in `score`, and the threshold `passed` was decided with.
    findings: list[Finding] = Field(default_factory=list)
    part_weights: dict[str, float] = Field(default_factory=dict)
    pass_threshold: float | None = None
