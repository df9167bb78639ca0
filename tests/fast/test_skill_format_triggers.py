"""Triggers: stems and keywords, which requests would trigger a skill, and how failing
trigger cases lower its trigger clarity.

The good sample skill each test changes one part of is in tests/fast/skill_format_samples.py.
"""

from __future__ import annotations

import pytest

from skill_format import trigger_cases, validate_content, would_trigger
from skill_format.triggers import keywords, stem
from tests.fast.skill_format_samples import DESCRIPTION, NAME, sample

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
    report = validate_content(NAME, sample(), example_requests=examples, near_misses=misses)
    assert report.trigger_cases == cases


def test_failing_trigger_cases_lower_trigger_clarity() -> None:
    good = validate_content(NAME, sample(), example_requests=["Extract PDF tables"])
    bad = validate_content(
        NAME,
        sample(),
        example_requests=["Summarise this meeting transcript"],
        near_misses=["Extract the tables from this PDF"],
    )
    assert bad.score_parts["trigger_clarity"] < good.score_parts["trigger_clarity"]
    assert any("trigger cases behave wrongly" in w for w in bad.weaknesses)
