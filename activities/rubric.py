"""The rubric a judge scores a draft against, its typed verdict, and how a verdict enters
the validator's report.

Kept apart from `activities.rubric_judge` (the model call): this needs no model library, so a
worker without a judge does not import pydantic-ai (a second of CPU at each start).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from skill_format import add_judged_part
from skill_format.models import Finding, ValidationReport
from workflows.refine_models import JUDGE_PART

# The judged part's weight against the validator's parts (which sum to 1): a fifth of the score.
JUDGE_WEIGHT = 0.25

RUBRIC = """\
You judge Agent Skills (a SKILL.md with optional bundled files) that teach a capable AI
agent one job. Score each criterion from 0.0 (absent) to 1.0 (excellent) and give one
sentence of reason that quotes or names what you saw:
- specificity: names the commands, files, flags, formats and tools of THIS task, not
  advice that would fit any task;
- actionability: every step says what to do with what, in order, checkably;
- examples: worked examples with a realistic input and the exact output;
- trigger_clarity: the description says what the skill does and exactly when to use it,
  with the words a user would type, and what it is not for;
- safety: destructive or irreversible actions are guarded (confirm, dry run, backups),
  no secrets are exposed, nothing unsafe is recommended.
Be strict: a generic skeleton scores below 0.5 on specificity and actionability."""


class RubricScore(BaseModel):
    score: float = Field(ge=0.0, le=1.0, description="0.0 absent .. 1.0 excellent")
    reason: str = Field(description="One sentence naming what you saw.")


class RubricVerdict(BaseModel):
    """The judge's typed output: one score and reason per criterion."""

    specificity: RubricScore
    actionability: RubricScore
    examples: RubricScore
    trigger_clarity: RubricScore
    safety: RubricScore
    summary: str = Field(description="One sentence: the draft's main strength or weakness.")

    def criteria(self) -> dict[str, RubricScore]:
        return {"specificity": self.specificity, "actionability": self.actionability,
                "examples": self.examples, "trigger_clarity": self.trigger_clarity,
                "safety": self.safety}

    @property
    def value(self) -> float:
        scores = [c.score for c in self.criteria().values()]
        return sum(scores) / len(scores)


def judged_report(report: ValidationReport, verdict: RubricVerdict) -> ValidationReport:
    """The report with the judge's part, each criterion's reason as its evidence."""
    evidence = [Finding(part=JUDGE_PART, message=f"{name} {c.score:.2f}: {c.reason.strip()}")
                for name, c in verdict.criteria().items()]
    reason = f"the rubric judge scores it {verdict.value:.2f}: {verdict.summary.strip()}"
    return add_judged_part(report, JUDGE_PART, round(verdict.value, 4), JUDGE_WEIGHT, evidence,
                           reason=reason)
