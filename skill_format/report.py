"""How score parts combine into a report's score and verdict, and how to add a judged part.

The validator's own parts and any externally judged part (e.g. an LLM rubric judge) are
combined the same way: a weighted mean over ``part_weights``, capped at `ERROR_SCORE_CAP`
when an error-level check failed, and ``passed`` only without errors and at or above the
threshold. `add_judged_part` lets other code add a part without knowing the validator's
weights, so the verdict never disagrees with the parts it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .models import Finding, ValidationReport

DEFAULT_PASS_THRESHOLD = 0.75
ERROR_SCORE_CAP = 0.5
STRENGTH_AT = 0.85  # parts at or above are strengths, parts below are weaknesses


def combine(parts: Mapping[str, float], weights: Mapping[str, float], has_errors: bool) -> float:
    """The weighted mean of ``parts`` (weights of parts not present are ignored)."""
    total_weight = sum(weights.get(name, 0.0) for name in parts)
    if total_weight <= 0:
        return 0.0
    score = sum(weights.get(name, 0.0) * value for name, value in parts.items()) / total_weight
    if has_errors:
        score = min(score, ERROR_SCORE_CAP)
    return round(score, 4)


def verdict(score: float, has_errors: bool, threshold: float) -> bool:
    return not has_errors and score >= threshold


def add_judged_part(
    report: ValidationReport,
    name: str,
    value: float,
    weight: float,
    evidence: Iterable[Finding | str] = (),
    *,
    reason: str = "",
) -> ValidationReport:
    """A copy of ``report`` with the part ``name`` (0..1) added (or replaced) at ``weight``.

    ``weight`` is relative to the validator's parts, whose weights sum to 1.0: 0.25 makes
    the judged part a fifth of the new score. The score and ``passed`` are recomputed with
    the report's own threshold; ``evidence`` (findings or sentences) is attached to the part
    and ``reason`` becomes its strength or weakness line.
    """
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a judged part must be in 0..1, got {value!r}")
    if weight <= 0:
        raise ValueError(f"a judged part needs a positive weight, got {weight!r}")
    new = report.model_copy(deep=True)
    new.score_parts[name] = round(value, 4)
    new.part_weights[name] = weight
    has_errors = bool(new.errors)
    new.score = combine(new.score_parts, new.part_weights, has_errors)
    threshold = new.pass_threshold if new.pass_threshold is not None else DEFAULT_PASS_THRESHOLD
    new.passed = verdict(new.score, has_errors, threshold)
    new.findings = [f for f in new.findings if f.part != name]
    for item in evidence:
        new.findings.append(
            item if isinstance(item, Finding) else Finding(part=name, message=str(item))
        )
    prefix = f"{name}: "
    new.strengths = [s for s in new.strengths if not s.startswith(prefix)]
    new.weaknesses = [w for w in new.weaknesses if not w.startswith(prefix)]
    line = prefix + (reason or f"judged {value:.2f}")
    (new.strengths if value >= STRENGTH_AT else new.weaknesses).append(line)
    return new
