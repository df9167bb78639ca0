"""The score agrees with experts: expert skills pass and beat their degraded twins.

The calibration set (`tests/data/calibration/`, written for this project) holds expert skills
in varied domains; `tests.calibration_table` makes three twins of each under the same
frontmatter: a generic body written from the description, the body cut to its first third,
and a vague description. `python -m tests.calibration_table` prints the same numbers.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest
import skills_ref

from skill_format import DEFAULT_PASS_THRESHOLD, validate_folder
from tests.calibration_table import (
    BOILERPLATE,
    CALIBRATION,
    EXPERT_CORPUS,
    Row,
    generic_body,
    offline_reports,
    score_folder,
    skill_folders,
)

MARGIN = 0.15
FOLDERS = skill_folders()
DOMAIN_COUNT = 12


@pytest.fixture(scope="module")
def rows() -> dict[str, Row]:
    return {folder.name: score_folder(folder) for folder in FOLDERS}


def test_the_set_is_large_and_well_formed() -> None:
    assert len(FOLDERS) >= DOMAIN_COUNT
    for folder in FOLDERS:
        body_lines = (folder / "SKILL.md").read_text(encoding="utf-8").count("\n")
        assert 60 <= body_lines <= 205, (folder.name, body_lines)
        assert skills_ref.validate(folder) == [], folder.name


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_expert_passes_without_errors(folder: Path, rows: dict[str, Row]) -> None:
    """Experts write in their own style: house-style warnings are allowed, errors are not."""
    report = rows[folder.name].reports["expert"]
    assert report.errors == [], report.errors
    assert report.passed and report.score >= DEFAULT_PASS_THRESHOLD, report.weaknesses
    assert validate_folder(folder).score == report.score  # on disk as in memory


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_expert_beats_its_degraded_twins(folder: Path, rows: dict[str, Row]) -> None:
    row = rows[folder.name]
    expert = row.score("expert")
    assert expert - row.score("generic") >= MARGIN, (expert, row.score("generic"))
    assert expert - row.score("truncated") >= MARGIN, (expert, row.score("truncated"))
    assert expert > row.score("vague")
    assert row.reports["vague"].score_parts["trigger_clarity"] < (
        row.reports["expert"].score_parts["trigger_clarity"]
    )


@pytest.mark.parametrize("folder", FOLDERS[:3], ids=[f.name for f in FOLDERS[:3]])
def test_generic_twin_is_flagged_line_by_line(folder: Path, rows: dict[str, Row]) -> None:
    """The evidence names the generic steps by line, and the expert's own terms by word."""
    generic = rows[folder.name].reports["generic"]
    flagged = [f for f in generic.findings if f.part == "actionability" and f.lines]
    assert flagged and "would fit any task" in flagged[0].message
    expert = rows[folder.name].reports["expert"]
    named = [f for f in expert.findings if f.part == "specificity" and f.words]
    assert named and len(named[0].words) >= 10


def test_generic_twin_fails_for_substance_not_for_a_rule(rows: dict[str, Row]) -> None:
    """The generic twin is well formed: it scores low for saying nothing, not for a broken
    rule, and it restates the description (so it is not simply off topic)."""
    body = generic_body("terraform-plan-review", "Reviews Terraform plans before apply.")
    assert "reviews terraform plans" in body and "## Instructions" in body
    for row in rows.values():
        twin = row.reports["generic"]
        assert twin.errors == [], (row.name, twin.errors)
        assert twin.score_parts["trigger_clarity"] == row.reports["expert"].score_parts[
            "trigger_clarity"
        ]


REFERENCE_STYLE = skill_folders(BOILERPLATE)


def test_reference_style_experts_are_in_the_set() -> None:
    """Short reference-style experts (exact values, named templates) are calibrated too."""
    assert len(REFERENCE_STYLE) >= 2
    assert {f.name for f in REFERENCE_STYLE} <= {f.name for f in FOLDERS}


@pytest.mark.parametrize("counterpart", REFERENCE_STYLE, ids=lambda p: p.name)
def test_reference_style_expert_beats_its_boilerplate_counterpart(counterpart: Path) -> None:
    """Same frontmatter, headings and list shape; the counterpart swaps every exact value
    (hex colours, sizes, formats, file names, commands) for a vague one. The values are
    what the score credits, not the shape: the counterpart fails, the expert passes."""
    expert = validate_folder(CALIBRATION / counterpart.name)
    boilerplate = validate_folder(counterpart)
    assert boilerplate.errors == [], boilerplate.errors
    assert expert.passed and not boilerplate.passed, (expert.score, boilerplate.score)
    assert expert.score - boilerplate.score >= MARGIN, (expert.score, boilerplate.score)
    assert expert.score_parts["examples"] >= 0.7
    assert boilerplate.score_parts["examples"] <= expert.score_parts["examples"] - 0.3
    assert boilerplate.score_parts["specificity"] < expert.score_parts["specificity"] - 0.3


def test_exact_values_and_named_templates_are_the_evidence() -> None:
    """A list of exact values counts as showing; bundled files count when the body names
    them. The evidence says which, so an author sees what was credited."""
    chart = validate_folder(CALIBRATION / "chart-house-style")
    shown = next(f for f in chart.findings if f.part == "examples")
    assert "0 code block(s)" in shown.message and "0 specific table row(s)" in shown.message
    lists = re.search(r"(\d+) list\(s\) of exact values", shown.message)
    assert lists and int(lists.group(1)) >= 3, shown.message
    notes = validate_folder(CALIBRATION / "release-notes-writing")
    named = next(f for f in notes.findings if f.part == "examples").words
    assert "assets/hotfix-notice.md" in named and "assets/minor-release.md" in named
    vague = validate_folder(BOILERPLATE / "release-notes-writing")
    credited = {w for f in vague.findings if f.part == "examples" for w in f.words}
    assert credited == set(), credited  # it names the assets/ folder, none of its files


@pytest.mark.parametrize("folder", skill_folders(EXPERT_CORPUS), ids=lambda p: p.name)
def test_existing_expert_corpus_still_passes_and_beats_generic(folder: Path) -> None:
    row = score_folder(folder)
    assert row.reports["expert"].passed, row.reports["expert"].weaknesses
    assert row.score("expert") - row.score("generic") >= MARGIN


async def test_offline_author_drafts_score_below_the_expert_mean(rows: dict[str, Row]) -> None:
    expert_mean = statistics.mean(row.score("expert") for row in rows.values())
    drafts = await offline_reports()
    assert drafts
    assert statistics.mean(r.score for r in drafts) < expert_mean
