"""Frontmatter: rendering and parsing round-trip, block style and quoting, and the errors
of a broken frontmatter.

The good sample skill each test changes one part of is in tests/fast/skill_format_samples.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from skills_ref.parser import read_properties

from skill_format import FrontmatterError, parse_frontmatter, render_skill_md, split_skill_md
from tests.fast.skill_format_samples import BODY, NAME

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
    # The order written here, not the product's KEY_ORDER: the test pins the fact.
    assert list(parsed) == "name description license compatibility allowed-tools metadata".split()
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
