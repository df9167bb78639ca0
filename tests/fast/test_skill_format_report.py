"""The report API other code builds on: `add_judged_part` keeps score and verdict consistent."""

from __future__ import annotations

import pytest

from skill_format import add_judged_part, render_skill_md, validate_content
from skill_format.models import Finding, SkillContent, ValidationReport
from skill_format.report import ERROR_SCORE_CAP, combine
from tests.fast.skill_format_samples import BODY, DESCRIPTION, GUIDE, NAME


def _report(folder: str = NAME, **kwargs: object) -> ValidationReport:
    skill_md = render_skill_md({"name": NAME, "description": DESCRIPTION}, BODY)
    return validate_content(folder, SkillContent(skill_md=skill_md, files=dict(GUIDE)), **kwargs)


def test_report_carries_weights_and_threshold() -> None:
    report = _report(pass_threshold=0.6)
    assert report.pass_threshold == 0.6
    assert set(report.part_weights) == set(report.score_parts)
    assert sum(report.part_weights.values()) == pytest.approx(1.0)
    assert report.score == combine(report.score_parts, report.part_weights, False)


def test_judged_part_is_weighted_into_score_and_verdict() -> None:
    report = _report()
    assert report.passed
    low = add_judged_part(report, "rubric_judge", 0.0, 1.0, ["steps are vague"], reason="vague")
    # Equal weight to all validator parts together: the score halves.
    assert low.score == pytest.approx(report.score / 2, abs=1e-3)
    assert not low.passed
    assert low.score_parts["rubric_judge"] == 0.0 and low.part_weights["rubric_judge"] == 1.0
    assert Finding(part="rubric_judge", message="steps are vague") in low.findings
    assert "rubric_judge: vague" in low.weaknesses
    high = add_judged_part(low, "rubric_judge", 1.0, 1.0, reason="concrete")
    assert high.score == pytest.approx((report.score + 1.0) / 2, abs=1e-3)
    assert high.passed
    assert "rubric_judge: concrete" in high.strengths
    assert "rubric_judge: vague" not in high.weaknesses
    assert not any(f.part == "rubric_judge" for f in high.findings)
    assert report.score_parts.get("rubric_judge") is None  # the input is not changed


def test_judged_part_never_lifts_a_skill_with_errors() -> None:
    report = _report(folder="other-folder")
    assert report.errors
    judged = add_judged_part(report, "rubric_judge", 1.0, 10.0)
    assert judged.score <= ERROR_SCORE_CAP and not judged.passed


@pytest.mark.parametrize(("value", "weight"), [(1.5, 0.2), (-0.1, 0.2), (0.5, 0.0)])
def test_judged_part_refuses_out_of_range(value: float, weight: float) -> None:
    with pytest.raises(ValueError):
        add_judged_part(_report(), "rubric_judge", value, weight)


def test_old_reports_without_weights_still_load() -> None:
    old = ValidationReport.model_validate({"passed": True, "score": 0.9})
    assert old.findings == [] and old.part_weights == {} and old.pass_threshold is None
