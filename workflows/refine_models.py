"""What the refinement loop and the rubric judge take and return, and what the job keeps.

Small explicit models per activity (as in `workflows.activity_models`): the findings go to
the model as a structured list, each round's outcome and the tokens spent are kept in the
job's state. `findings_of` is pure, so the workflow computes the list deterministically.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from workflows.activity_models import (
    SkillContent,
    TokenUsage,
    Understanding,
    ValidationReport,
)

# A score part under this is a weakness worth a finding (`skill_format.report.STRENGTH_AT`).
WEAK_PART_BELOW = 0.85
# Per finding, at most this many lines and words of evidence go to the model.
EVIDENCE_ITEMS = 12
JUDGE_PART = "rubric_judge"


class DraftFinding(BaseModel):
    """One thing the validator (or the judge) found wrong, in a form a model can act on."""

    kind: Literal["error", "warning", "weak_part", "trigger_case"]
    message: str
    part: str = ""
    score: float | None = None
    # Evidence: SKILL.md body lines and the words the validator counted.
    lines: list[int] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)


def findings_of(report: ValidationReport) -> list[DraftFinding]:
    """The report's errors, warnings, wrong trigger cases and weak parts with their evidence."""
    found = [DraftFinding(kind="error", message=e) for e in report.errors]
    found += [DraftFinding(kind="warning", message=w) for w in report.warnings]
    for case in report.trigger_cases:
        if not case.ok:
            want = "should trigger but does not" if case.should_trigger else \
                "should not trigger but does"
            found.append(DraftFinding(kind="trigger_case", part="trigger_clarity",
                                      message=f"{case.request!r} {want}"))
    weaknesses = {w.split(": ", 1)[0]: w.split(": ", 1)[-1] for w in report.weaknesses}
    for part, value in sorted(report.score_parts.items(), key=lambda kv: kv[1]):
        if value >= WEAK_PART_BELOW:
            continue
        evidence = [f for f in report.findings if f.part == part]
        lines = sorted({n for f in evidence for n in f.lines})[:EVIDENCE_ITEMS]
        words = list(dict.fromkeys(w for f in evidence for w in f.words))[:EVIDENCE_ITEMS]
        details = " ".join(f.message for f in evidence)
        message = weaknesses.get(part, f"{part} scores {value:.2f}")
        found.append(DraftFinding(kind="weak_part", part=part, score=value, lines=lines,
                                  words=words,
                                  message=f"{message}. {details}".strip() if details else message))
    return found


class RefineInput(BaseModel):
    """One round: the draft to revise and what the validator found in it."""

    task_description: str
    plan: Understanding
    draft: SkillContent
    findings: list[DraftFinding]
    round: int
    score: float
    pass_threshold: float


class JudgeInput(BaseModel):
    skill_name: str
    task_description: str
    content: SkillContent
    report: ValidationReport


class JudgeResult(BaseModel):
    """The report with the judged part added, or the validator's report and why not."""

    report: ValidationReport
    judged: bool = False
    # Why the validator's score stands (no judge configured, the judge failed or timed out).
    note: str | None = None
    usage: TokenUsage | None = None


class RefineRound(BaseModel):
    """One round as the job's state shows it."""

    round: int
    # The version the round revised (its draft is version + 1 when kept).
    version: int = 0
    score_before: float
    score_after: float | None = None
    findings: int
    # The revision became the draft (its score rose); otherwise the loop stopped.
    kept: bool = False
    passed: bool = False
    usage: TokenUsage = Field(default_factory=TokenUsage)
    error: str | None = None
