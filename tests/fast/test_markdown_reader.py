"""The Markdown reader sees what a CommonMark renderer shows, in bounded time.

Links hidden from the validator but drawn by every viewer are a hole in the folder checks, so
the cases here are the ones a hand-written reader got wrong: escaped backticks, indented code,
autolinks, reference links. The hostile inputs are the issue's (quadratic link patterns);
each test carries a hang guard (``timeout``), never a wall-clock assertion.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from skill_format import (
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
    would_trigger,
)
from skill_format.frontmatter import (
    FrontmatterError,
    disallowed_yaml_constructs,
    load_frontmatter_yaml,
)
from skill_format.models import SkillContent
from skill_format.rules import says_when
from skill_format.triggers import keywords
from tests.fast.skill_format_samples import BODY, DESCRIPTION, GUIDE, NAME

SECRET = "../../../etc/passwd"


def _report(body: str):
    skill_md = render_skill_md({"name": NAME, "description": DESCRIPTION}, body)
    return validate_content(NAME, SkillContent(skill_md=skill_md, files=dict(GUIDE)))


def _check(report, name: str):
    (found,) = [c for c in report.checks if c.check == name]
    return found


def _targets(text: str) -> list[tuple[str, int]]:
    return [(link.target, link.line) for link in markdown.links(text)]


# --------------------------------------------------------------------------- what is a link


def test_escaped_backticks_do_not_hide_a_link() -> None:
    escaped = _check(
        _report(BODY + "\nSee \\`[the secrets](../../../etc/passwd)\\` for details.\n"),
        "links_within_folder",
    )
    assert not escaped.passed and f"'{SECRET}'" in escaped.message
    # Without the backslashes it is a code span: shown as code, not as a link.
    spanned = _report(BODY + "\nSee `[the secrets](../../../etc/passwd)` for details.\n")
    assert _check(spanned, "links_within_folder").passed


def test_links_in_fenced_and_indented_code_are_not_links() -> None:
    text = (
        "Intro.\n\n    [indented](../../a.md)\n\n```\n[fenced](../../b.md)\n```\n\n"
        "~~~~md\n[tilde](../../c.md)\n~~~~\n\nAfter [real](references/guide.md).\n"
    )
    assert _targets(text) == [("references/guide.md", 13)]
    # Four spaces inside a list item are the item's paragraph, not code: a renderer links it.
    assert _targets("- item\n\n    [in item](../x.md)\n") == [("../x.md", 3)]


def test_autolinks_are_links_and_never_local() -> None:
    text = "<https://example.com/a.md> <mailto:a@b.c> <a@b.c> <file:///etc/passwd> <../x.md>"
    found = markdown.links(text)
    assert [link.target for link in found] == [
        "https://example.com/a.md",
        "mailto:a@b.c",
        "mailto:a@b.c",
    ]  # file: is not drawn as a link; <../x.md> is text
    assert not any(link.is_local for link in found)


def test_reference_links_out_of_the_folder_are_reported() -> None:
    body = BODY + f"\nRead [the secrets][s] and [again][s].\n\n[s]: {SECRET}\n"
    check = _check(_report(body), "links_within_folder")
    assert not check.passed
    lines = sorted({int(n) for n in re.findall(r"line (\d+)", check.message)})
    assert len(lines) == 2  # the use (one line, both links) and the definition
    nested = "> quote\n>\n> [q]: ../q.md\n\n- item\n\n  [l]: ../l.md\n"
    assert _targets(nested) == [("../q.md", 3), ("../l.md", 7)]


def test_footnotes_are_not_links() -> None:
    assert _targets("Text[^1].\n\n[^1]: notes.md\n\n[^x]: ../x.md\n") == []


def test_line_numbers_follow_the_source() -> None:
    text = (
        "para `code\n[not](a.md)` x\n[yes](b.md)\n"  # a code span over two lines
        "[t](c.md 'two\nline title') [next](d.md)\n\n"  # a title over two lines
        "> quote\n> ![img](e.png)\n\n"
        "Setext [in heading](f.md)\n===\n"
    )
    assert _targets(text) == [
        ("b.md", 3),
        ("c.md", 4),
        ("d.md", 5),
        ("e.png", 8),
        ("f.md", 10),
    ]


def test_targets_are_shown_as_written_and_decoded_once() -> None:
    text = "[a](<my guide.md>) [b](r%C3%A9f.md) [c](&#46;&#46;/x.md) [d](%252e%252e/y.md)"
    found = markdown.links(text)
    shown = ["my guide.md", "réf.md", "../x.md", "%252e%252e/y.md"]
    assert [link.target for link in found] == shown
    assert [link.escapes_folder for link in found] == [False, False, True, False]


def test_headings_are_commonmark_headings() -> None:
    text = (
        "# Title ##\nSetext *Two*\n---\n    # indented code\n> ## Quoted `x`\n"
        "```\n# fenced\n```\n#no-space\n"
    )
    assert markdown.headings(text) == [(1, "Title", 1), (2, "Setext Two", 2), (2, "Quoted x", 5)]
    section = markdown.section_text(text, re.compile("setext", re.IGNORECASE))
    assert section.splitlines()[0] == "    # indented code"  # the underline is not in it


def test_prose_lines_leave_out_code_blocks() -> None:
    text = "a `b` c\n```\ncode\n```\n\n    indented\n\nd \\`e\\` f"
    assert markdown.prose_lines(text) == [(1, "a     c"), (5, ""), (7, ""), (8, "d \\`e\\` f")]


# --------------------------------------------------------------------------- the line bound


def test_over_long_lines_are_warned_about_and_not_read() -> None:
    long_line = "x" * markdown.MAX_LINE_CHARS + f" [hidden]({SECRET})"
    body = BODY + f"\n{long_line}\n\nSee [the guide](references/guide.md).\n"
    report = _report(body)
    warning = _check(report, "body_line_length")
    assert (warning.passed, warning.severity) == (False, "warning")
    assert f" ({len(long_line)} characters) are over " in warning.message
    assert report.errors == []  # not read, so its link is not judged: the warning says so
    assert markdown.long_lines(body) == [(BODY.count("\n") + 2, len(long_line))]
    assert "x" * 100 not in markdown.scannable_text(body)
    assert _check(_report(BODY), "body_line_length").passed


def test_a_line_at_the_limit_is_read() -> None:
    link = f" [a]({SECRET})"
    line = "x" * (markdown.MAX_LINE_CHARS - len(link)) + link
    assert len(line) == markdown.MAX_LINE_CHARS
    assert _targets(line) == [(SECRET, 1)]


# --------------------------------------------------------------------------- hostile input

ISSUE_UNITS = ["[](", "![](", "[a](<", "[[a]", "["]
HOSTILE_CHARS = 30_000


def _run(unit: str, length: int = HOSTILE_CHARS) -> str:
    return (unit * (length // len(unit) + 1))[:length]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("unit", ISSUE_UNITS)
def test_issue_inputs_on_one_line_validate(unit: str) -> None:
    report = _report(BODY + "\n" + _run(unit) + "\n")
    assert not _check(report, "body_line_length").passed
    assert _check(report, "links_resolve").passed  # validated to the end


@pytest.mark.timeout(10)
@pytest.mark.parametrize("unit", ISSUE_UNITS)
def test_issue_inputs_under_the_line_limit_are_parsed(unit: str) -> None:
    """The same characters in lines the parser does read: linear, no line skipped."""
    text = _run(unit)
    width = markdown.MAX_LINE_CHARS - 1
    wrapped = "\n".join(text[i : i + width] for i in range(0, len(text), width))
    assert markdown.long_lines(wrapped) == []
    markdown.links(wrapped)
    markdown.headings(wrapped)


# Long runs of the characters Markdown gives meaning to, over and under the line limit.
PUNCTUATION = "[]()<>`\\*_#! \n"
RUNS = st.lists(
    st.tuples(st.text(alphabet=PUNCTUATION, min_size=1, max_size=4), st.integers(1, 4_000)),
    min_size=1,
    max_size=5,
).map(lambda runs: "".join(unit * count for unit, count in runs)[:12_000])


def _read_all(text: str) -> None:
    """Every reader in skill_format that takes free text, fed the same text."""
    for reader in (
        markdown.headings,
        markdown.links,
        markdown.prose_lines,
        markdown.long_lines,
        markdown.scannable_text,
        markdown.line_count,
        markdown.word_count,
        markdown.estimate_tokens,
        split_skill_md,
        disallowed_yaml_constructs,
        keywords,
        says_when,
        name_issues,
        description_issues,
        suggest_name,
    ):
        reader(text)
    pattern = re.compile(r"\bexamples?\b", re.IGNORECASE)
    markdown.find_heading(text, pattern)
    markdown.section_text(text, pattern)
    markdown.blank_inline_code(max(text.splitlines() or [""], key=len))
    suggest_description(text, text)
    would_trigger(text, text)
    trigger_cases(text, [text], [text])
    for parse in (load_frontmatter_yaml, parse_frontmatter):
        try:
            parse(text)
        except FrontmatterError:
            pass


@pytest.mark.timeout(60)
@settings(
    max_examples=15,
    deadline=None,  # the timeout above is the only clock
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(RUNS)
def test_every_reader_returns_on_runs_of_punctuation(text: str) -> None:
    _read_all(text)
    report = _report(text)  # the text as a body...
    assert any(c.check == "links_resolve" for c in report.checks)
    skill_md = render_skill_md({"name": NAME, "description": text[:2_000]}, text)
    validate_content(NAME, SkillContent(skill_md=skill_md))  # ...and as a description
    validate_content(NAME, SkillContent(skill_md=f"---\n{text}\n---\n{text}"))
