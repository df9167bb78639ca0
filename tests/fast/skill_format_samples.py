"""A good skill and its parts, shared by the skill_format tests: each test changes one part."""

from __future__ import annotations

from skill_format import render_skill_md
from skill_format.models import SkillContent

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


def sample(description: str = DESCRIPTION, body: str = BODY, **frontmatter: object) -> SkillContent:
    return SkillContent(
        skill_md=render_skill_md({"name": NAME, "description": description, **frontmatter}, body),
        files=dict(GUIDE),
    )


def check_of(report, name: str):
    found = [c for c in report.checks if c.check == name]
    assert len(found) == 1, f"{name} reported {len(found)} times"
    return found[0]


def failed_of(report) -> set[str]:
    return {c.check for c in report.checks if not c.passed}
