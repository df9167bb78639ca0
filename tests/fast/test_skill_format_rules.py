"""Unit tests for skill_format: frontmatter round-trips, rule helpers, suggestions,
triggers, scoring, and reading folders from disk (symlinks included)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import skills_ref
import yaml
from skills_ref.parser import read_properties

from skill_format import (
    CHECKS,
    WEIGHTS,
    FrontmatterError,
    description_issues,
    markdown,
    name_issues,
    parse_frontmatter,
    render_skill_md,
    split_skill_md,
    suggest_description,
    suggest_name,
    trigger_cases,
    validate_content,
    validate_folder,
    would_trigger,
)
from skill_format.models import SkillContent
from skill_format.report import DEFAULT_PASS_THRESHOLD
from skill_format.rules import FIRST_OR_SECOND_PERSON, says_when
from skill_format.triggers import keywords, stem

DESCRIPTION = (
    "Extracts tables from PDF reports and invoices into clean CSV files, keeping headers and "
    "numeric formats. Use when the user asks to pull a table or figures out of a PDF, or to "
    "turn a PDF statement into a spreadsheet."
)
BODY = """# PDF Table Extraction

## When to Use

- The user has a PDF report or invoice and wants a table from it as CSV.
- A table copied out of a PDF viewer came out garbled.

## Instructions

1. Check whether the PDF has a text layer; scanned pages need OCR first.
2. Locate the table: page, header row and column boundaries.
3. Extract it as described in [the guide](references/guide.md).
4. Normalise numbers and return the CSV with notes on anything uncertain.

## Examples

**Input:** "Get the line items table from invoice-0425.pdf as CSV."

**Output:** a CSV with the columns item, quantity, unit_price and total.

## Edge Cases

- Tables spanning pages: drop repeated header rows.
- Scanned PDFs without a text layer: say OCR is needed.
"""
GUIDE = {"references/guide.md": "# Guide\n\nUse a text-layer extractor first.\n"}
NAME = "pdf-table-extraction"

TRICKY_VALUES = [
    "yes",
    "no",
    "on",
    "null",
    "~",
    "1.0",
    "1234",
    "0x1F",
    "1e3",
    "2024-01-01",
    "a: b",
    "#x",
    "- item",
    "[not, a, list]",
    "{not: a map}",
    "'single'",
    '"double"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "trailing space ",
    " leading",
    "café ünïcode 日本語 😀",
    "@at `tick` %pct &amp *star !bang |pipe >gt",
    "",
    "\u2028 separator \ufeff bom \x07 bell",
]


def _skill(description: str = DESCRIPTION, body: str = BODY, **frontmatter: object) -> SkillContent:
    return SkillContent(
        skill_md=render_skill_md({"name": NAME, "description": description, **frontmatter}, body),
        files=dict(GUIDE),
    )


def _check(report, name: str):
    found = [c for c in report.checks if c.check == name]
    assert len(found) == 1, f"{name} reported {len(found)} times"
    return found[0]


def _failed(report) -> set[str]:
    return {c.check for c in report.checks if not c.passed}


# --------------------------------------------------------------------------- frontmatter


@pytest.mark.parametrize("value", TRICKY_VALUES)
def test_render_parse_round_trip_keeps_strings(value: str) -> None:
    frontmatter = {
        "name": NAME,
        "description": value,
        "license": value,
        "compatibility": value,
        "allowed-tools": value,
        "metadata": {value or "empty": value, "version": "1.0"},
    }
    text = render_skill_md(frontmatter, BODY)
    parsed = parse_frontmatter(text)
    assert parsed == frontmatter
    assert list(parsed) == [
        "name",
        "description",
        "license",
        "compatibility",
        "allowed-tools",
        "metadata",
    ]
    _, body = split_skill_md(text)
    assert body.strip() == BODY.strip()


def test_rendered_frontmatter_is_block_style_and_quoted() -> None:
    text = render_skill_md(
        {"metadata": {"version": "1.0"}, "name": NAME, "description": "yes"}, "Body"
    )
    assert text == (
        '---\nname: "pdf-table-extraction"\ndescription: "yes"\nmetadata:\n'
        '  "version": "1.0"\n---\n\nBody\n'
    )


@pytest.mark.parametrize("value", [v for v in TRICKY_VALUES if v.strip() and "---" not in v])
def test_rendered_values_read_identically_by_skills_ref(tmp_path: Path, value: str) -> None:
    folder = tmp_path / NAME
    folder.mkdir()
    description = f"Extracts PDF tables. Use when asked. {value}"
    text = render_skill_md(
        {"name": NAME, "description": description, "metadata": {"k": value}}, BODY
    )
    (folder / "SKILL.md").write_text(text, encoding="utf-8")
    props = read_properties(folder)
    assert props.description == description.strip()
    assert props.metadata == {"k": value}
    assert parse_frontmatter(text)["description"] == description


def test_render_refuses_unknown_keys_and_non_strings() -> None:
    with pytest.raises(ValueError, match="'model'"):
        render_skill_md({"name": NAME, "model": "x"}, "")
    with pytest.raises(TypeError, match="'name'"):
        render_skill_md({"name": 1234}, "")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="metadata"):
        render_skill_md({"metadata": {"version": 1.0}}, "")  # type: ignore[dict-item]


def test_split_skill_md() -> None:
    assert split_skill_md("# Title\n") == (None, "# Title\n")
    assert split_skill_md("---\r\nname: x\r\n---\r\nbody\r\n") == ("name: x\r\n", "body\r\n")
    assert split_skill_md("---\nname: x\n---") == ("name: x\n", "")
    with pytest.raises(FrontmatterError, match="never closes"):
        split_skill_md("---\nname: x\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no frontmatter\n", "must start with a '---' line"),
        ("---\nname: x\n", "never closes"),
        ("---\nname: [x\n---\n", "not valid YAML"),
        ("---\n- a\n- b\n---\n", "must be a YAML mapping"),
        ("---\n---\n", "it is empty"),
        ("---\nname: a\nname: b\n---\n", "repeats the key(s) 'name'"),
        ("---\nmetadata:\n  v: '1'\n  v: '2'\n---\n", "repeats the key(s) 'v'"),
        ("---\nname: " + "[" * 33 + "\n---\n", "nests '[' or '{' more than 32 deep"),
        ("---\nname: a\n" + "# pad\n" * 3000 + "---\n", "the limit is 16384"),
    ],
)
def test_parse_frontmatter_errors(text: str, message: str) -> None:
    with pytest.raises(FrontmatterError, match=re.escape(message)):
        parse_frontmatter(text)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["pdf", "pdf-table-extraction", "a1-b2", "x" * 64, "123"])
def test_name_issues_accepts_good_names(name: str) -> None:
    assert name_issues(name) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Name is empty"),
        ("x" * 65, "is 65 characters long"),
        ("PDF-Tools", "has uppercase letters"),
        ("pdf_tools", "invalid characters '_'"),
        ("pdf tools", "invalid characters ' '"),
        ("tablas-café", "non-ASCII characters 'é'"),
        ("-pdf", "starts or ends with a hyphen"),
        ("pdf-", "starts or ends with a hyphen"),
        ("pdf--tools", "consecutive hyphens"),
        ("<pdf>", "has '<' or '>'"),
        ("claude-notes", "reserved word 'claude'"),
        ("my-anthropic-skill", "reserved word 'anthropic'"),
        ("helper", "too vague"),
        ("data-utils", "too vague"),
        ("misc-stuff", "too vague"),
        ("tool", "too vague"),
    ],
)
def test_name_issues_names_the_problem(name: str, message: str) -> None:
    issues = name_issues(name)
    assert any(message in issue for issue in issues), issues
    if name:
        assert any(repr(name)[1:-1] in issue for issue in issues)


def test_name_issues_rejects_non_strings() -> None:
    assert name_issues(1234) == ["Name must be a string, not int 1234."]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- descriptions


def test_description_issues() -> None:
    assert description_issues(DESCRIPTION) == []
    assert description_issues("")[0].startswith("Description is empty")
    assert any("1025 characters" in i for i in description_issues("Use when asked. " + "x" * 1009))
    assert any("'<' or '>'" in i for i in description_issues(f"{DESCRIPTION} <b>"))
    # Saying when is house style (a warning and a score part), not a structure_fix issue.
    assert description_issues("Extracts PDF tables.") == []
    assert any("'---'" in i for i in description_issues(f"{DESCRIPTION} --- more"))
    # Third person is a warning, so not a structure_fix issue.
    assert description_issues("I extract PDF tables. Use when the user asks for one.") == []


@pytest.mark.parametrize(
    "description",
    [
        "Use when the user asks for PDF tables.",
        "Extracts tables. Use this skill when a PDF is involved.",
        "Extracts tables; invoke it whenever a PDF table is needed.",
        "Extracts tables when the user shares a PDF.",
        "Extracts tables. Triggers on requests about PDF statements.",
        "Extracts tables, for requests about invoices and statements.",
        # the phrasings expert authors use
        "Toolkit for interacting with and testing local web applications using Playwright.",
        "Guidance for writing zero-downtime PostgreSQL migrations.",
        "Suite of tools for building HTML artifacts with React and Tailwind.",
        "Spreadsheet analysis. When Claude needs to work with .xlsx files for: (1) Creating "
        "sheets, (2) Reading data.",
        "Writes LogQL queries. Use this to turn a question about logs into a query.",
        "Applies brand colours to slides. Use it when company design standards apply.",
        "WCAG audits of web pages. Trigger keywords: a11y, screen reader, contrast.",
    ],
)
def test_when_to_use_recognised_in_any_phrasing(description: str) -> None:
    assert says_when(description)
    report = validate_content(NAME, _skill(description))
    assert _check(report, "description_says_when").passed


@pytest.mark.parametrize(
    "description",
    [
        "Extracts tables from PDF reports and invoices into clean CSV files.",
        "Reviews SQL queries for correctness and performance on PostgreSQL.",
    ],
)
def test_description_without_when_is_a_warning(description: str) -> None:
    assert not says_when(description)
    report = validate_content(NAME, _skill(description))
    check = _check(report, "description_says_when")
    assert (check.passed, check.severity) == (False, "warning")
    assert "does not say when" in check.message
    assert report.errors == [] and report.passed


def test_third_person_warning() -> None:
    for start in ["I extract", "I'm able to", "You can use", "We convert", "Your tool", "My "]:
        report = validate_content(NAME, _skill(f"{start} PDF tables. Use when asked for one."))
        check = _check(report, "description_third_person")
        assert (check.passed, check.severity) == (False, "warning"), start
        assert "third person" in check.message
    assert _check(validate_content(NAME, _skill()), "description_third_person").passed


# --------------------------------------------------------------------------- suggestions

TRICKY_TEXT = [
    "",
    "   ",
    "!!!",
    "---",
    "\n\t",
    "日本語のスキル",
    "😀 emoji only",
    "Café Crème Brûlée recipes",
    "Ünïcödé ñame",
    "x" * 500,
    "word " * 100,
    "Claude helper",
    "anthropic claude",
    "claudette notes",
    "helper",
    "data utils",
    "tool-tool-tool",
    "skill",
    "My--Skill--",
    "-lead-",
    "PDF <tag> extraction",
    "I want a skill that helps me write git commit messages for my team please",
    "You can use this to convert <b>PDFs</b> --- quickly",
    "Converts PDFs. " * 100,
    "Use when " + "word " * 300,
    "a" * 1100,
    "name: yes",
    "1234",
]


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_suggest_name_always_valid_and_deterministic(text: str) -> None:
    name = suggest_name(text)
    assert name_issues(name) == [], (text, name)
    assert len(name) <= 64 and name.isascii()
    assert suggest_name(text) == name


def test_suggest_name_keeps_meaning() -> None:
    assert suggest_name("Convert PDFs to Markdown") == "convert-pdfs-to-markdown"
    assert suggest_name("Café Crème recipes") == "cafe-creme-recipes"
    assert suggest_name("PDF-Tools") == "pdf-tools"
    assert suggest_name("claude-pdf-tools") == "pdf-tools"
    assert suggest_name("pdf-table-extraction") == "pdf-table-extraction"
    assert suggest_name("helper").startswith("new-skill-")


@pytest.mark.parametrize("description", TRICKY_TEXT)
@pytest.mark.parametrize("name", ["", "pdf-tools", "Claude Helper <x>", "日本"])
def test_suggest_description_always_valid(name: str, description: str) -> None:
    suggestion = suggest_description(name, description)
    assert description_issues(suggestion) == [], (name, description, suggestion)
    assert says_when(suggestion)  # our own suggestions keep the house style
    assert not FIRST_OR_SECOND_PERSON.match(suggestion)
    assert 0 < len(suggestion) <= 1024
    assert suggest_description(name, description) == suggestion


def test_suggest_description_changes_only_what_is_needed() -> None:
    assert suggest_description(NAME, DESCRIPTION) == DESCRIPTION
    fixed = suggest_description("pdf-tables", "Extracts <b>tables</b> from PDFs.")
    assert fixed == "Extracts tables from PDFs. Use when the user asks about pdf tables."
    long = suggest_description("pdf-tables", "Extracts tables. " * 100)
    assert long.endswith(" Use when the user asks about pdf tables.")
    assert len(long) <= 1024


# --------------------------------------------------------------------------- triggers


def test_stem_and_keywords() -> None:
    assert {stem(w) for w in ["convert", "converts", "converting", "converted"]} == {"convert"}
    assert stem("files") == stem("file")
    assert stem("queries") == stem("query")
    assert keywords("Please help me use the skill to convert PDFs") == {"convert", "pdf"}


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("Can you pull the totals table out of this PDF invoice?", True),
        ("Turn my bank statement PDF into a spreadsheet", True),
        ("Extract tables from these PDF reports", True),
        ("PDF tables", True),
        ("Fill in this PDF form for me", False),
        ("Convert this Word document to HTML", False),
        ("Tell me a joke about cats", False),
        ("", False),
    ],
)
def test_would_trigger(request_text: str, expected: bool) -> None:
    assert would_trigger(DESCRIPTION, request_text) is expected


def test_trigger_cases_and_report() -> None:
    examples = ["Extract the table from this PDF invoice", "Make a CSV from a PDF report"]
    misses = ["Write a poem about spring", "Fill in a PDF form"]
    cases = trigger_cases(DESCRIPTION, examples, misses)
    assert [(c.request, c.should_trigger) for c in cases] == [
        (examples[0], True),
        (examples[1], True),
        (misses[0], False),
        (misses[1], False),
    ]
    assert all(c.ok for c in cases)
    report = validate_content(NAME, _skill(), example_requests=examples, near_misses=misses)
    assert report.trigger_cases == cases


def test_failing_trigger_cases_lower_trigger_clarity() -> None:
    good = validate_content(NAME, _skill(), example_requests=["Extract PDF tables"])
    bad = validate_content(
        NAME,
        _skill(),
        example_requests=["Summarise this meeting transcript"],
        near_misses=["Extract the tables from this PDF"],
    )
    assert bad.score_parts["trigger_clarity"] < good.score_parts["trigger_clarity"]
    assert any("trigger cases behave wrongly" in w for w in bad.weaknesses)


# --------------------------------------------------------------------------- scoring and report


def test_good_skill_passes_with_all_parts() -> None:
    report = validate_content(NAME, _skill())
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
        NAME, _skill(license="MIT", compatibility="x", **{"allowed-tools": "Read"})
    )
    names = [c.check for c in report.checks]
    assert len(names) == len(set(names))
    assert set(names) <= set(CHECKS)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", n) for n in CHECKS)
    assert all(c.severity == CHECKS[c.check] and c.message for c in report.checks)


def test_error_caps_score_and_fails() -> None:
    report = validate_content("other-folder", _skill())
    assert _failed(report) == {"name_matches_folder"}
    assert not report.passed
    assert report.score <= 0.5
    assert report.errors == [
        "Name 'pdf-table-extraction' does not match the folder name 'other-folder'."
    ]


def test_threshold_decides_without_errors() -> None:
    report = validate_content(NAME, _skill(), pass_threshold=1.01)
    assert report.errors == [] and not report.passed


def test_thin_skill_scores_low_with_weaknesses() -> None:
    body = "# PDF tables\n\n## When to Use\n\nWhen a PDF has a table.\n"
    report = validate_content(NAME, SkillContent(skill_md=_skill(body=body).skill_md))
    assert report.errors == []
    assert _failed(report) == {"section_instructions", "section_examples", "section_edge_cases"}
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
    assert _check(validate_content(NAME, _skill(body=body)), "section_when_to_use").passed


def test_overview_counts_as_when_to_use_only_with_a_when_clause() -> None:
    with_when = BODY.replace(
        "## When to Use\n", "## Overview\n\nUse this skill when a PDF holds a table.\n"
    )
    assert _check(validate_content(NAME, _skill(body=with_when)), "section_when_to_use").passed
    without = BODY.replace("## When to Use", "## Overview")
    check = _check(validate_content(NAME, _skill(body=without)), "section_when_to_use")
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
    return _skill(description=description, body=body)


def test_house_style_alone_cannot_fail_a_skill() -> None:
    house = validate_content(NAME, _skill())
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
    report = validate_content(NAME, _skill(body=body))
    check = _check(report, "body_line_count")
    assert (check.passed, check.severity) == (False, "warning")
    assert "keep it under 500" in check.message
    assert report.errors == [] and report.passed


def test_examples_count_wherever_they_are_shown() -> None:
    """Concrete examples count under any heading or none; placeholders and mentions little."""
    assert validate_content(NAME, _skill()).score_parts["examples"] == 1.0
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
    report = validate_content(NAME, _skill("Extracts tables from PDF reports into CSV files."))
    assert not _check(report, "description_says_when").passed
    assert _check(report, "section_when_to_use").passed
    assert any("only the body says so" in w for w in report.weaknesses)
    nowhere = BODY.replace("## When to Use", "## Inputs")
    report_nowhere = validate_content(
        NAME, _skill("Extracts tables from PDF reports into CSV files.", body=nowhere)
    )
    assert (
        report_nowhere.score_parts["trigger_clarity"] < report.score_parts["trigger_clarity"]
    )


def test_token_budget_warning() -> None:
    body = BODY + "\n## Notes\n\n" + ("pdf table extraction guidance " * 1100)
    check = _check(validate_content(NAME, _skill(body=body)), "body_token_estimate")
    assert (check.passed, check.severity) == (False, "warning")
    assert re.fullmatch(
        r"The SKILL.md body is about 8\d{3} tokens; aim for under 5000.", check.message
    )


def test_links_in_code_are_ignored_and_unlinked_references_warned() -> None:
    body = BODY + "\n```markdown\n[example](references/not-here.md)\n```\n"
    content = _skill(body=body)
    content.files["references/extra.md"] = "# Extra\n"
    report = validate_content(NAME, content)
    assert _check(report, "links_resolve").passed
    linked = _check(report, "references_linked")
    assert not linked.passed and "'references/extra.md'" in linked.message
    assert report.score_parts["link_integrity"] == pytest.approx(0.75)


def test_unknown_subfolder_is_a_warning() -> None:
    content = _skill()
    content.files["templates/a.md"] = "x"
    check = _check(validate_content(NAME, content), "allowed_subfolders")
    assert (check.passed, check.severity) == (False, "warning")
    assert "'templates/'" in check.message


def test_in_memory_paths_cannot_escape() -> None:
    content = _skill()
    content.files["../evil.md"] = "x"
    content.files["/etc/passwd"] = "x"
    report = validate_content(NAME, content)
    check = _check(report, "files_inside_folder")
    assert not check.passed
    assert "'../evil.md'" in check.message and "'/etc/passwd'" in check.message


def test_unquoted_yaml_types_are_errors() -> None:
    skill_md = (
        "---\nname: pdf-table-extraction\ndescription: yes\nlicense: 2.0\n"
        "metadata:\n  version: 1.0\n---\n" + BODY
    )
    report = validate_content(NAME, SkillContent(skill_md=skill_md, files=dict(GUIDE)))
    assert {"description_string", "license_string", "metadata_string_map"} <= _failed(report)
    assert "parsed as bool True" in _check(report, "description_string").message
    assert "parsed as float 2.0" in _check(report, "license_string").message


# --------------------------------------------------------------------------- folders on disk


def _write(folder: Path, content: SkillContent) -> Path:
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(content.skill_md, encoding="utf-8")
    for rel, text in content.files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def test_validate_folder_good(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, _skill())
    report = validate_folder(folder)
    assert report.passed
    assert skills_ref.validate(folder) == []


@pytest.mark.parametrize("name", ["README.md", "readme.txt", "CHANGELOG.md", "Changelog"])
def test_a_readme_or_changelog_beside_skill_md_is_an_error(tmp_path: Path, name: str) -> None:
    folder = _write(tmp_path / NAME, _skill())
    (folder / name).write_text("For people, not the agent.\n", encoding="utf-8")
    report = validate_folder(folder)
    check = _check(report, "no_readme_or_changelog")
    assert not check.passed and repr(name) in check.message
    assert not report.passed


def test_a_readme_in_a_subfolder_is_reference_material(tmp_path: Path) -> None:
    body = BODY + "\nFor the Go client read [its guide](references/README.md).\n"
    folder = _write(tmp_path / NAME, _skill(body=body))
    (folder / "references" / "README.md").write_text("Go client notes.\n")
    report = validate_folder(folder)
    assert _check(report, "no_readme_or_changelog").passed
    assert report.passed


def test_symlink_escaping_folder_is_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("top secret\n")
    content = _skill(body=BODY + "\nSee [notes](references/notes.md).\n")
    folder = _write(tmp_path / "skills" / NAME, content)
    os.symlink(secret, folder / "references" / "notes.md")
    report = validate_folder(folder)
    assert not report.passed
    check = _check(report, "files_inside_folder")
    assert not check.passed
    assert "Symlink 'references/notes.md' resolves to" in check.message
    assert str(secret) in check.message
    # The escaping file is not part of the skill, so the link to it does not resolve.
    assert not _check(report, "links_resolve").passed


def test_symlinked_skill_md_outside_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "SKILL.md"
    outside.write_text(_skill().skill_md)
    folder = tmp_path / "skills" / NAME
    folder.mkdir(parents=True)
    os.symlink(outside, folder / "SKILL.md")
    report = validate_folder(folder)
    assert {"skill_md_present", "files_inside_folder"} <= _failed(report)
    assert not report.passed


def test_symlinks_inside_folder_and_loops_are_fine(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, _skill(body=BODY + "\n[alias](references/alias.md)\n"))
    os.symlink(folder / "references" / "guide.md", folder / "references" / "alias.md")
    os.symlink(folder / "references", folder / "references" / "loop")
    report = validate_folder(folder)
    assert _check(report, "files_inside_folder").passed
    assert _check(report, "links_resolve").passed
    assert report.passed


def test_dangling_symlink_is_an_error(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, _skill())
    os.symlink(tmp_path / "nowhere", folder / "assets")
    check = _check(validate_folder(folder), "files_inside_folder")
    assert not check.passed and "'assets'" in check.message


def test_missing_folder_and_missing_skill_md_are_reports(tmp_path: Path) -> None:
    report = validate_folder(tmp_path / "nope")
    assert not report.passed and report.score == 0.0
    assert "does not exist" in _check(report, "skill_md_present").message
    (tmp_path / "empty").mkdir()
    report = validate_folder(tmp_path / "empty")
    assert [c.check for c in report.checks if not c.passed] == ["skill_md_present"]


def test_lowercase_skill_md_is_an_error(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, _skill())
    (folder / "SKILL.md").rename(folder / "skill.md")
    report = validate_folder(folder)
    assert _failed(report) == {"skill_md_filename"}
    assert report.errors == [
        "The skill file is named 'skill.md'; it must be named exactly 'SKILL.md'."
    ]


def test_yaml_module_agrees_with_quoting() -> None:
    """Guard the premise: unquoted, these values are not strings in PyYAML."""
    assert yaml.safe_load("a: yes\nb: 1.0\nc: 1234\nd: null\n") == {
        "a": True,
        "b": 1.0,
        "c": 1234,
        "d": None,
    }


def test_link_forms() -> None:
    body = BODY + (
        '\n[titled](references/guide.md "Guide") [angled](<references/guide.md>) '
        "[anchor](#examples) [web](https://example.com/a/b/c.md) [mail](mailto:a@b.c) "
        "[self](SKILL.md) [query](references/guide.md?plain=1#top) [dir](references/)\n"
        "Footnote use[^1].\n\n[^1]: not a link target\n[ref]: ./references/guide.md\n"
    )
    report = validate_content(NAME, _skill(body=body))
    assert report.errors == [], report.errors
    assert report.score_parts["link_integrity"] == 1.0
    broken = validate_content(NAME, _skill(body=BODY + "\n[ref]: references/nope.md\n"))
    assert "'references/nope.md'" in _check(broken, "links_resolve").message


# --------------------------------------------------------------------------- hostile input

# A task may carry newlines and reaches SKILL.md, so a line like these can come from any
# create request. With backtracking patterns each took minutes (cubic in the line's length)
# while holding the GIL, which froze the whole worker; the timeout turns a relapse into a
# failure instead of a hung suite.
HOSTILE_LINES = {
    "heading of spaces": "# a" + " " * 4000 + "b",
    "line of backticks": "`" * 4000,
    "alternating backticks": "`a" * 2000,
    "nested brackets": "[" * 4000 + "](" + " " * 4000,
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("line", HOSTILE_LINES.values(), ids=HOSTILE_LINES.keys())
def test_hostile_lines_are_read_in_bounded_time(line: str) -> None:
    body = f"# Title\n\n{line}\n\n## Steps\n\n1. Run `make test`.\n"
    report = validate_content(NAME, _skill(body=body))
    assert any(c.check == "links_resolve" for c in report.checks)  # validated to the end


# PyYAML reads nested flow collections in quadratic time ("[" * 8000: 7 s per pass, and the
# frontmatter took three passes) and recursed into a RecursionError on 500 nested "[" or
# 4,000 "- ": a crash, not a report. The frontmatter's size and depth are bounded first.
HOSTILE_FRONTMATTER = {
    "nested flow lists": "[" * 16_000,
    "nested flow maps": "{" * 16_000,
    "nested block lists": "- " * 8_000,
    "oversized": "a: b\n" * 60_000,
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", HOSTILE_FRONTMATTER.values(), ids=HOSTILE_FRONTMATTER.keys())
def test_hostile_frontmatter_is_reported_in_bounded_time(text: str) -> None:
    report = validate_content(NAME, SkillContent(skill_md=f"---\n{text}\n---\n{BODY}"))
    assert not _check(report, "frontmatter_parseable").passed
    assert any(c.check == "links_resolve" for c in report.checks)  # validated to the end


def test_flow_depth_limit_counts_brackets_in_quotes_too() -> None:
    """The count ignores quotes to stay simple and linear; no real value needs 33 '['."""
    deep_enough = render_skill_md({"name": NAME, "description": DESCRIPTION + "[" * 32}, BODY)
    assert parse_frontmatter(deep_enough)["description"].endswith("[" * 32)
    too_deep = render_skill_md({"name": NAME, "description": DESCRIPTION + "[" * 33}, BODY)
    with pytest.raises(FrontmatterError, match="more than 32 deep"):
        parse_frontmatter(too_deep)


def test_heading_titles_drop_only_a_closing_sequence() -> None:
    text = "# Title ##\n## C# tips\n   # Indented #\n#not-a-heading\n```\n# code\n```\n"
    assert markdown.headings(text) == [(1, "Title", 1), (2, "C# tips", 2), (1, "Indented", 3)]


def test_code_spans_close_only_on_a_run_of_the_same_length() -> None:
    assert markdown.blank_inline_code("a `b` c") == "a     c"
    assert markdown.blank_inline_code("``a`b`` c") == "        c"
    assert markdown.blank_inline_code("```` b ` c") == "```` b ` c"  # no closer: literal
