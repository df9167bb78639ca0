"""Scoring and the report: every check registered, errors cap the score, the threshold,
and the house style that weighs less than the room above the pass mark.

The good sample skill each test changes one part of is in tests/fast/skill_format_samples.py.
"""

from __future__ import annotations

import re

import pytest

from skill_format import CHECKS, WEIGHTS, validate_content
from skill_format.models import SkillContent
from skill_format.report import DEFAULT_PASS_THRESHOLD
from tests.fast.skill_format_samples import BODY, GUIDE, NAME, check_of, failed_of, sample

# --------------------------------------------------------------------------- scoring and report


def test_good_skill_passes_with_all_parts() -> None:
    report = validate_content(NAME, sample())
    assert report.passed, report.errors + report.warnings
    assert report.errors == [] and report.warnings == []
    assert (
        set(report.score_parts)
        == set(WEIGHTS)
        == {
            "trigger_clarity",
            "specificity",
            "actionability",
            "examples",
            "conciseness",
            "progressive_disclosure",
            "structure",
            "link_integrity",
        }
    )
    assert all(0.0 <= v <= 1.0 for v in report.score_parts.values())
    assert report.score >= 0.75
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert any(s.startswith("structure:") for s in report.strengths)


def test_every_emitted_check_is_registered() -> None:
    report = validate_content(
        NAME, sample(license="MIT", compatibility="x", **{"allowed-tools": "Read"})
    )
    names = [c.check for c in report.checks]
    assert len(names) == len(set(names))
    assert set(names) <= set(CHECKS)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", n) for n in CHECKS)
    assert all(c.severity == CHECKS[c.check] and c.message for c in report.checks)


def test_error_caps_score_and_fails() -> None:
    report = validate_content("other-folder", sample())
    assert failed_of(report) == {"name_matches_folder"}
    assert not report.passed
    assert report.score <= 0.5
    assert report.errors == [
        "Name 'pdf-table-extraction' does not match the folder name 'other-folder'."
    ]


def test_threshold_decides_without_errors() -> None:
    report = validate_content(NAME, sample(), pass_threshold=1.01)
    assert report.errors == [] and not report.passed


def test_thin_skill_scores_low_with_weaknesses() -> None:
    body = "# PDF tables\n\n## When to Use\n\nWhen a PDF has a table.\n"
    report = validate_content(NAME, SkillContent(skill_md=sample(body=body).skill_md))
    assert report.errors == []
    assert failed_of(report) == {"section_instructions", "section_examples", "section_edge_cases"}
    assert len(report.warnings) == 3
    assert report.score_parts["structure"] == pytest.approx(0.4)
    assert report.score_parts["examples"] == 0.0
    # under 60 words (0.5) and nothing in it specific to the task (0.3 of that)
    assert report.score_parts["conciseness"] == pytest.approx(0.15)
    assert report.score_parts["specificity"] == 0.0
    assert not report.passed and report.score < 0.75
    assert any(w.startswith("examples:") for w in report.weaknesses)


HOUSE_STYLE_SECTIONS = {
    "section_when_to_use",
    "section_instructions",
    "section_examples",
    "section_edge_cases",
}


@pytest.mark.parametrize(
    "heading",
    ["When to use", "Usage", "Triggers", "Use cases", "When should you use it?"],
)
def test_when_to_use_section_under_any_reasonable_heading(heading: str) -> None:
    body = BODY.replace("## When to Use", f"## {heading}")
    assert check_of(validate_content(NAME, sample(body=body)), "section_when_to_use").passed


def test_overview_counts_as_when_to_use_only_with_a_when_clause() -> None:
    with_when = BODY.replace(
        "## When to Use\n", "## Overview\n\nUse this skill when a PDF holds a table.\n"
    )
    assert check_of(validate_content(NAME, sample(body=with_when)), "section_when_to_use").passed
    without = BODY.replace("## When to Use", "## Overview")
    check = check_of(validate_content(NAME, sample(body=without)), "section_when_to_use")
    assert (check.passed, check.severity) == (False, "warning")
    assert "'When to Use' section" in check.message and "house style" in check.message


def _expert_styled(body: str = BODY) -> SkillContent:
    """The good skill with every house-style marker gone: no "Use when" in the description,
    no section heading the house style names."""
    for house, other in [
        ("## When to Use", "## Scope"),
        ("## Instructions", "## What to do"),
        ("## Examples", "## An invoice, end to end"),
        ("## Edge Cases", "## Odd files"),
    ]:
        body = body.replace(house, other)
    description = (
        "Toolkit for extracting tables from PDF reports, invoices and bank statements into "
        "clean CSV files, keeping headers, merged cells and numeric formats."
    )
    return sample(description=description, body=body)


def test_house_style_alone_cannot_fail_a_skill() -> None:
    house = validate_content(NAME, sample())
    expert = validate_content(NAME, _expert_styled())
    failed = {c.check: c.severity for c in expert.checks if not c.passed}
    assert set(failed) == HOUSE_STYLE_SECTIONS
    assert set(failed.values()) == {"warning"}
    assert expert.errors == [] and expert.passed
    # House style keeps weight in the score, but less than the room above the pass mark.
    assert expert.score < house.score
    assert house.score - expert.score < 1 - DEFAULT_PASS_THRESHOLD
    assert expert.score_parts["structure"] == pytest.approx(0.4)  # the description says when


def test_house_style_weighs_less_than_the_room_above_the_pass_mark() -> None:
    """The most house style can take from a skill whose description says when: every
    house heading missing (structure keeps when-to-use), examples shown outside an examples
    heading (0.7 of the part) and a body just at the line budget (conciseness 0.6)."""
    worst = WEIGHTS["structure"] * 0.6 + WEIGHTS["examples"] * 0.3 + WEIGHTS["conciseness"] * 0.4
    assert worst < 1 - DEFAULT_PASS_THRESHOLD


def test_long_body_is_a_warning_not_a_failure() -> None:
    body = BODY + "\n## Notes\n\n" + "\n".join(f"- PDF table note {i}." for i in range(500))
    report = validate_content(NAME, sample(body=body))
    check = check_of(report, "body_line_count")
    assert (check.passed, check.severity) == (False, "warning")
    assert "keep it under 500" in check.message
    assert report.errors == [] and report.passed


def test_examples_count_wherever_they_are_shown() -> None:
    """Concrete examples count under any heading or none; placeholders and mentions little."""
    assert validate_content(NAME, sample()).score_parts["examples"] == 1.0
    labelled = validate_content(NAME, _expert_styled())  # Input:/Output: outside a heading
    assert labelled.score_parts["examples"] == 1.0
    csv = "```csv\nitem,quantity,unit_price,total\nWidget A,3,4.50,13.50\n```\n"
    fenced = BODY.replace("**Input:**", "Ask").replace("**Output:** a CSV", csv)
    assert validate_content(NAME, _expert_styled(fenced)).score_parts["examples"] == 0.7
    empty = BODY.replace("**Input:**", "Ask").replace("**Output:** a CSV", "```csv\nitem\n```\n")
    assert validate_content(NAME, _expert_styled(empty)).score_parts["examples"] == 0.35
    mention = BODY.replace("**Input:**", "For example,").replace("**Output:**", "giving")
    assert validate_content(NAME, _expert_styled(mention)).score_parts["examples"] == 0.2
    bare = BODY.replace("**Input:**", "Ask").replace("**Output:**", "giving")
    assert validate_content(NAME, _expert_styled(bare)).score_parts["examples"] == 0.0


def test_what_and_when_can_share_a_sentence() -> None:
    one_sentence = validate_content(NAME, _expert_styled())
    assert one_sentence.score_parts["trigger_clarity"] == 1.0


def test_when_said_only_in_the_body_counts_half() -> None:
    report = validate_content(NAME, sample("Extracts tables from PDF reports into CSV files."))
    assert not check_of(report, "description_says_when").passed
    assert check_of(report, "section_when_to_use").passed
    assert any("only the body says so" in w for w in report.weaknesses)
    nowhere = BODY.replace("## When to Use", "## Inputs")
    report_nowhere = validate_content(
        NAME, sample("Extracts tables from PDF reports into CSV files.", body=nowhere)
    )
    assert (
        report_nowhere.score_parts["trigger_clarity"] < report.score_parts["trigger_clarity"]
    )


def test_token_budget_warning() -> None:
    body = BODY + "\n## Notes\n\n" + ("pdf table extraction guidance " * 1100)
    check = check_of(validate_content(NAME, sample(body=body)), "body_token_estimate")
    assert (check.passed, check.severity) == (False, "warning")
    assert re.fullmatch(
        r"The SKILL.md body is about 8\d{3} tokens; aim for under 5000.", check.message
    )


def test_links_in_code_are_ignored_and_unlinked_references_warned() -> None:
    body = BODY + "\n```markdown\n[example](references/not-here.md)\n```\n"
    content = sample(body=body)
    content.files["references/extra.md"] = "# Extra\n"
    report = validate_content(NAME, content)
    assert check_of(report, "links_resolve").passed
    linked = check_of(report, "references_linked")
    assert not linked.passed and "'references/extra.md'" in linked.message
    assert report.score_parts["link_integrity"] == pytest.approx(0.75)


def test_unknown_subfolder_is_a_warning() -> None:
    content = sample()
    content.files["templates/a.md"] = "x"
    check = check_of(validate_content(NAME, content), "allowed_subfolders")
    assert (check.passed, check.severity) == (False, "warning")
    assert "'templates/'" in check.message


def test_in_memory_paths_cannot_escape() -> None:
    content = sample()
    content.files["../evil.md"] = "x"
    content.files["/etc/passwd"] = "x"
    report = validate_content(NAME, content)
    check = check_of(report, "files_inside_folder")
    assert not check.passed
    assert "'../evil.md'" in check.message and "'/etc/passwd'" in check.message


def test_unquoted_yaml_types_are_errors() -> None:
    skill_md = (
        "---\nname: pdf-table-extraction\ndescription: yes\nlicense: 2.0\n"
        "metadata:\n  version: 1.0\n---\n" + BODY
    )
    report = validate_content(NAME, SkillContent(skill_md=skill_md, files=dict(GUIDE)))
    assert {"description_string", "license_string", "metadata_string_map"} <= failed_of(report)
    assert "parsed as bool True" in check_of(report, "description_string").message
    assert "parsed as float 2.0" in check_of(report, "license_string").message
