"""Hostile input: lines and frontmatter that once took minutes or crashed are read in
bounded time (each test carries a hang guard, never a wall-clock assertion).

The good sample skill each test changes one part of is in tests/fast/skill_format_samples.py.
"""

from __future__ import annotations

import pytest

from skill_format import (
    FrontmatterError,
    markdown,
    parse_frontmatter,
    render_skill_md,
    validate_content,
)
from skill_format.models import SkillContent
from tests.fast.skill_format_samples import BODY, DESCRIPTION, NAME, check_of, sample

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
    report = validate_content(NAME, sample(body=body))
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
    assert not check_of(report, "frontmatter_parseable").passed
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
