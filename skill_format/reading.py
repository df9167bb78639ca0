"""A skill body read the way a reviewer reads it: units of instruction, code blocks, terms.

A *unit* is a list item, a paragraph or a table row (continuation lines joined), tagged with
the section it is in and the specific terms it names (see `terms`). A unit *says something*
when it names a new concrete token or two new uncommon words: something neither everyday
English nor the skill's own name and description would have told the reader. The substance
parts of the score (`substance`) all start from one reading, so they agree on what a step is
and on what counts as specific.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import markdown
from .terms import Term, code_terms, is_own, own_stems, placeholders, prose_terms

MIN_UNIT_WORDS = 3
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+.-]*)")
_ITEM = re.compile(r"^\s{0,12}(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?(\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
# A section or a line that says *when* to use the skill ("## When to use this skill", a
# "Keywords: ..." line): trigger material that trigger clarity scores, not instructions.
_TRIGGER_SECTION = re.compile(
    r"when\s+(not\s+)?to\s+(use|apply|invoke)|when\s+should|\buse\s+(this\s+skill\s+)?when\b|"
    r"\btriggers?\b|\bwhen\s+(it|this)\s+applies\b",
    re.IGNORECASE,
)
_TRIGGER_LINE = re.compile(
    r"^\W{0,4}(trigger\s+)?(keywords?|trigger\s+(words|phrases))\W{0,4}:", re.IGNORECASE
)


@dataclass(frozen=True)
class Unit:
    """One list item, paragraph or table row: first body line (1-based), text, terms."""

    line: int
    kind: str  # "item", "paragraph" or "row"
    text: str
    section: str
    terms: tuple[Term, ...]
    new: tuple[Term, ...]  # terms outside the skill's own name and description

    @property
    def says_something(self) -> bool:
        """Names a new concrete token, or two distinct new uncommon words."""
        return any(t.concrete for t in self.new) or len({t.key for t in self.new}) >= 2

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def about_triggers(self) -> bool:
        """Says when to use the skill (under a when-to-use heading, or a keywords line):
        restating the description there is right, so it is no instruction and no filler."""
        return bool(_TRIGGER_SECTION.search(self.section) or _TRIGGER_LINE.match(self.text))


@dataclass(frozen=True)
class Block:
    """A fenced or indented code block: first body line, language, content and terms."""

    line: int
    language: str
    text: str
    terms: tuple[Term, ...]
    new: tuple[Term, ...]
    placeholders: tuple[str, ...]

    @property
    def concrete(self) -> bool:
        """Real content: at least two new terms, and placeholders no more than a third."""
        keys = {t.key for t in self.new}
        return len(keys) >= 2 and len(self.placeholders) * 3 <= max(len(self.terms), 1)


@dataclass
class BodyReading:
    """Units, code blocks and the skill's own stems (the words a template could fill in)."""

    own: frozenset[str]
    units: list[Unit] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    @property
    def instructions(self) -> list[Unit]:
        return [u for u in self.units if u.words >= MIN_UNIT_WORDS and not u.about_triggers]

    def new_terms(self) -> dict[str, tuple[Term, int]]:
        """Every new term with the body line it first appears on."""
        found: dict[str, tuple[Term, int]] = {}
        for line, terms in [(u.line, u.new) for u in self.units] + [
            (b.line, b.new) for b in self.blocks
        ]:
            for term in terms:
                found.setdefault(term.key, (term, line))
        return found


def read_body(body: str, name: str | None, description: str | None) -> BodyReading:
    """Read ``body`` against the skill's own words (cached: parts share one reading)."""
    return _read_body(body, name or "", description or "")


@lru_cache(maxsize=16)
def _read_body(body: str, name: str, description: str) -> BodyReading:
    own = own_stems(name, description)
    reading = BodyReading(own)
    lines, code = markdown.lines_and_code(body)
    section = ""
    current: list[str] = []
    start, kind = 0, "paragraph"

    def close() -> None:
        if current:
            text = " ".join(s.strip() for s in current)
            terms = tuple(prose_terms(text))
            new = tuple(t for t in terms if not is_own(t, own))
            reading.units.append(Unit(start + 1, kind, text, section, terms, new))
            current.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        if index in code:
            close()
            end = index
            while end + 1 < len(lines) and end + 1 in code:
                end += 1
            reading.blocks.append(_block(lines, index, end, own))
            index = end + 1
            continue
        stripped = _QUOTE.sub("", line)
        if not stripped.strip():
            close()
        elif _HEADING.match(line):
            close()
            section = line.strip().lstrip("#").strip()
        elif _SETEXT.match(line) and current and kind == "paragraph":
            section = " ".join(current).strip()
            current.clear()
        elif _TABLE_SEPARATOR.match(line):
            close()
        elif line.lstrip().startswith("|"):
            close()
            current.append(line.replace("|", " "))
            start, kind = index, "row"
            close()
        elif _ITEM.match(line):
            close()
            current.append(_ITEM.sub("", line))
            start, kind = index, "item"
        else:
            if not current:
                start, kind = index, "paragraph"
            current.append(stripped)
        index += 1
    close()
    return reading


def _block(lines: tuple[str, ...], first: int, last: int, own: frozenset[str]) -> Block:
    content = list(lines[first : last + 1])
    language = ""
    opener = _FENCE.match(content[0]) if content else None
    if opener:
        language = opener.group(2)
        content = content[1:]
        if content and _FENCE.match(content[-1]):
            content = content[:-1]
    text = "\n".join(content)
    terms = tuple(t for line in content for t in code_terms(line))
    new = tuple(t for t in terms if not is_own(t, own))
    return Block(first + 1, language, text, terms, new, tuple(placeholders(text)))
