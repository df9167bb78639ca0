"""One validator for the workflow (in memory), the API and the CLI (on disk).

A report ``passed`` only when no error-level check failed *and* the quality score reaches
the threshold; errors also cap the score (see `scoring`), so the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .checks import run_checks
from .document import SkillFolder, parse_skill
from .models import SkillContent, ValidationReport
from .report import DEFAULT_PASS_THRESHOLD
from .scoring import WEIGHTS, score_skill
from .triggers import trigger_cases


def validate_content(
    folder_name: str,
    content: SkillContent,
    *,
    example_requests: Iterable[str] = (),
    near_misses: Iterable[str] = (),
    pass_threshold: float = DEFAULT_PASS_THRESHOLD,
) -> ValidationReport:
    """Validate a skill held in memory as if it were the folder ``folder_name``.

    ``content.skill_md`` is SKILL.md; ``content.files`` maps relative paths such as
    ``references/guide.md`` to text. Example requests and near-misses become trigger cases.
    """
    return validate_folder_model(
        SkillFolder.from_content(folder_name, content),
        example_requests=example_requests,
        near_misses=near_misses,
        pass_threshold=pass_threshold,
    )


def validate_folder(
    path: Path | str, *, pass_threshold: float = DEFAULT_PASS_THRESHOLD
) -> ValidationReport:
    """Validate a skill folder on disk. Never raises for a bad skill: a missing SKILL.md,
    a lowercase ``skill.md`` or a symlink leading outside the folder are failed checks."""
    return validate_folder_model(SkillFolder.from_path(Path(path)), pass_threshold=pass_threshold)


def validate_folder_model(
    folder: SkillFolder,
    *,
    example_requests: Iterable[str] = (),
    near_misses: Iterable[str] = (),
    pass_threshold: float = DEFAULT_PASS_THRESHOLD,
) -> ValidationReport:
    """Validate an already-built `SkillFolder` (shared by both entry points)."""
    skill = parse_skill(folder)
    checks = run_checks(skill)
    description = skill.string_field("description")
    cases = (
        trigger_cases(description, list(example_requests), list(near_misses)) if description else []
    )
    score = score_skill(skill, checks, cases)
    errors = [c.message for c in checks if not c.passed and c.severity == "error"]
    warnings = [c.message for c in checks if not c.passed and c.severity == "warning"]
    return ValidationReport(
        # the verdict and what it was decided by
        passed=not errors and score.score >= pass_threshold, pass_threshold=pass_threshold,
        errors=errors, warnings=warnings, checks=checks, trigger_cases=cases,
        # the score, its parts and their evidence
        score=score.score, score_parts=score.parts, part_weights=dict(WEIGHTS),
        strengths=score.strengths, weaknesses=score.weaknesses, findings=score.findings,
    )
