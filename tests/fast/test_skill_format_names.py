"""Names and descriptions: what the rules accept and refuse, and the suggested fixes that
are always valid.

The good sample skill each test changes one part of is in tests/fast/skill_format_samples.py.
"""

from __future__ import annotations

import pytest

from skill_format import (
    description_issues,
    name_issues,
    suggest_description,
    suggest_name,
    validate_content,
)
from skill_format.rules import FIRST_OR_SECOND_PERSON, says_when
from tests.fast.skill_format_samples import DESCRIPTION, NAME, check_of, sample

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
    report = validate_content(NAME, sample(description))
    assert check_of(report, "description_says_when").passed


@pytest.mark.parametrize(
    "description",
    [
        "Extracts tables from PDF reports and invoices into clean CSV files.",
        "Reviews SQL queries for correctness and performance on PostgreSQL.",
    ],
)
def test_description_without_when_is_a_warning(description: str) -> None:
    assert not says_when(description)
    report = validate_content(NAME, sample(description))
    check = check_of(report, "description_says_when")
    assert (check.passed, check.severity) == (False, "warning")
    assert "does not say when" in check.message
    assert report.errors == [] and report.passed


def test_third_person_warning() -> None:
    for start in ["I extract", "I'm able to", "You can use", "We convert", "Your tool", "My "]:
        report = validate_content(NAME, sample(f"{start} PDF tables. Use when asked for one."))
        check = check_of(report, "description_third_person")
        assert (check.passed, check.severity) == (False, "warning"), start
        assert "third person" in check.message
    assert check_of(validate_content(NAME, sample()), "description_third_person").passed


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
