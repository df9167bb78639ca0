"""The substance parts of the score: what the body teaches, each 0..1 with its evidence.

These are the parts an expert reviewer names: does the body use the task's own terms
(*specificity*), do its steps name concrete actions and objects (*actionability*), does it
show real input and output (*examples*), does it keep long material in linked files
(*progressive disclosure*), and does it spend its words on this task (*conciseness*). None of
them counts headings or looks for anyone's phrases: all read the same `BodyReading`, where a
line "says something" when it names what everyday English and the skill's own description
would not have told the reader (see `terms`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import markdown
from .models import Finding
from .reading import BodyReading, Unit
from .rules import BODY_MAX_LINES, BODY_MAX_TOKENS
from .terms import placeholders, prose_terms
from .triggers import stem

FULL_SPECIFICITY_TERMS = 50  # distinct new terms for a full specificity count
FULL_ACTIONABLE_SHARE = 0.7  # share of instructions that say something, for full marks
FULL_INFORMATIVE_SHARE = 0.6  # share of body lines that say something, for full conciseness
DISCLOSURE_LINES = 250  # past these a body should move detail into linked files
DISCLOSURE_TOKENS = 3500
LONG_BLOCK_LINES = 40  # a code block this long belongs in scripts/ or references/
MAX_EVIDENCE = 12

_LABEL = re.compile(
    r"^\W{0,4}(?:example|input|output|user|request|response|result|before|after|expected|"
    r"prompt|answer|returns?|command|run)\b[^:\n]{0,30}:",
    re.IGNORECASE,
)
_INPUT = re.compile(r"^\W{0,4}(?:input|user|request|before|prompt|command|run|given)\b", re.I)
_OUTPUT = re.compile(
    r"^\W{0,4}(?:output|response|result|after|expected|answer|returns?)\b", re.IGNORECASE
)
_EXAMPLE_SECTION = re.compile(r"\bexamples?\b|\bsamples?\b|walk-?through|\bdemo", re.IGNORECASE)
_EXAMPLE_MENTION = re.compile(r"\bexamples?\b|\be\.g\.|\bfor instance\b", re.IGNORECASE)
_DISCLOSED = ("references/", "scripts/", "assets/")
# Bundled material an agent reads as an example: files in a folder such as assets/,
# examples/ or templates/; scripts are tools and references/ documentation (both scored
# elsewhere), and a top-level file is usually a reference too.
_NOT_EXAMPLE = re.compile(
    r"^(scripts|references?|docs?)(/|$)|^[^/]*$|\.(py|sh|js|mjs|ts|rb|go|pl|ps1|bat)$",
    re.IGNORECASE,
)
SPEC_LIST_ITEMS = 3  # short items naming a concrete value, in one section: a spec list
SPEC_ITEM_WORDS = 16


@dataclass
class Part:
    """A part's value, the sentence for a strong or a weak part, and its evidence."""

    value: float
    good: str
    bad: str
    findings: list[Finding] = field(default_factory=list)


def _snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def specificity(reading: BodyReading, description: str, name: str = "specificity") -> Part:
    """New terms the body names (tools, commands, files, formats, domain words), and the
    description's terms used in instructions that say something (not only restated)."""
    new = reading.new_terms()
    count_value = min(len(new) / FULL_SPECIFICITY_TERMS, 1.0)
    wanted = {t.key for t in prose_terms(description)}
    said = {k for u in reading.units if u.says_something for k in _keys(u.text)}
    said |= {k for b in reading.blocks for k in _keys(b.text)}
    used = {key for key in wanted if key in said or set(_keys(key)) <= said}
    coverage = len(used) / len(wanted) if wanted else 1.0
    value = 0.75 * count_value + 0.25 * coverage
    ordered = sorted(new.values(), key=lambda pair: pair[1])
    findings = [
        Finding(
            part=name,
            message=f"The body names {len(new)} terms of its own (commands, files, tools, "
            f"domain words) beyond its name and description; {FULL_SPECIFICITY_TERMS} "
            "or more is full marks.",
            lines=sorted({line for _, line in ordered})[:MAX_EVIDENCE],
            words=[term.text for term, _ in ordered][:MAX_EVIDENCE * 2],
        )
    ]
    if wanted - used:
        findings.append(
            Finding(
                part=name,
                message="Terms of the description that no specific instruction uses.",
                words=sorted(wanted - used)[:MAX_EVIDENCE],
            )
        )
    good = f"the body names {len(new)} specific terms and uses the description's terms"
    bad = (
        f"the body names only {len(new)} terms beyond its description "
        f"({len(used)}/{len(wanted)} description terms used in specific instructions); "
        "name the commands, files, formats and tools of this task"
    )
    return Part(value, good, bad, findings)


def _keys(text: str) -> set[str]:
    """Every word of ``text`` as a stem, and every concrete term whole."""
    found = {stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())}
    return found | {t.key for t in prose_terms(text) if t.concrete}


def actionability(reading: BodyReading, name: str = "actionability") -> Part:
    """Share of instructions (items, paragraphs, rows) that name concrete actions and
    objects; the others would fit any task and are listed with their lines."""
    steps = [u for u in reading.instructions if u.kind != "row" or u.terms]
    if not steps:
        return Part(0.0, "", "the body gives no instructions", [])
    generic = [u for u in steps if not u.says_something]
    share = 1 - len(generic) / len(steps)
    value = min(share / FULL_ACTIONABLE_SHARE, 1.0)
    findings: list[Finding] = []
    if generic:
        findings.append(
            Finding(
                part=name,
                message=f"{len(generic)} of {len(steps)} instructions would fit any task "
                "(no command, file, tool or domain term beyond the description): "
                + "; ".join(f"line {u.line}: '{_snippet(u.text, 50)}'" for u in generic[:6]),
                lines=[u.line for u in generic][:MAX_EVIDENCE * 2],
            )
        )
    good = f"{len(steps) - len(generic)} of {len(steps)} instructions name concrete things"
    bad = (
        f"{len(generic)} of {len(steps)} instructions would fit any task; say which command, "
        "file, field or tool each step uses"
    )
    return Part(value, good, bad, findings)


def bundled_material(
    reading: BodyReading, linked: Sequence[str], files: Iterable[str], dirs: Iterable[str]
) -> list[str]:
    """Files of the skill that the body names (by link or as a code span or path) and that
    exist in one of its folders: templates, samples and worked documents the skill ships and
    tells the agent to load (`_NOT_EXAMPLE` leaves out scripts and references). A
    boilerplate body names none."""
    present = {p.strip("/") for p in [*files, *dirs]}
    named = {p.strip("/") for p in linked}
    for unit in reading.units:
        for term in unit.terms:
            if term.concrete:
                named.add(term.text.strip("/").removeprefix("./").rstrip("/"))
    return sorted(p for p in named & present if p and not _NOT_EXAMPLE.search(p))


def spec_lists(reading: BodyReading) -> list[tuple[str, list[Unit]]]:
    """Sections that list at least `SPEC_LIST_ITEMS` short items or rows, each naming a
    concrete value of its own (``#d97757``, ``11pt``, ``YYYY-MM-DD``): the reference values
    a house-style or format skill exists to give; a template cannot fill them in."""
    by_section: dict[str, list[Unit]] = {}
    for unit in reading.units:
        if (
            unit.kind in ("item", "row")
            and unit.words <= SPEC_ITEM_WORDS
            and any(t.concrete for t in unit.new)
        ):
            by_section.setdefault(unit.section, []).append(unit)
    return [(sec, units) for sec, units in by_section.items() if len(units) >= SPEC_LIST_ITEMS]


def examples(
    reading: BodyReading, body: str, bundled: Sequence[str] = (), name: str = "examples"
) -> Part:
    """Concrete examples: code blocks with real content, tables, labelled input and output
    that name this task's things, lists of exact values (`spec_lists`) and named bundled
    material (`bundled_material`); placeholders (``<your-file>``, ``foo``) do not count."""
    concrete_blocks = [b for b in reading.blocks if b.concrete]
    placeholder_blocks = [b for b in reading.blocks if b.text.strip() and not b.concrete]
    rows = [u for u in reading.units if u.kind == "row" and u.says_something]
    labelled = [u for u in reading.units if _LABEL.match(u.text)]
    concrete_labels = [u for u in labelled if u.says_something]
    in_section = [
        u for u in reading.units if _EXAMPLE_SECTION.search(u.section) and u.says_something
    ]
    has_io = any(_INPUT.match(u.text) for u in labelled) and any(
        _OUTPUT.match(u.text) for u in labelled
    )
    specs = spec_lists(reading)
    shown = len(concrete_blocks) + (1 if len(rows) >= 2 else 0) + len(concrete_labels)
    shown += min(len(specs), 2) + min(len(bundled), 2)
    if not concrete_labels and in_section:
        shown += 1
    whole = len(concrete_blocks) >= 2 or has_io or len(concrete_labels) >= 2
    if shown >= 2 and (whole or len(bundled) >= 2):  # bundled files hold whole examples
        value = 1.0
    elif shown >= 2:
        value = 0.85
    elif shown == 1:
        value = 0.7
    elif placeholder_blocks or labelled or rows:
        value = 0.35
    elif _EXAMPLE_MENTION.search(markdown.scannable_text(body)):
        value = 0.2
    else:
        value = 0.0
    findings = [
        Finding(
            part=name,
            message=f"{len(concrete_blocks)} code block(s) with real content, "
            f"{len(rows)} specific table row(s), {len(concrete_labels)} labelled example(s) "
            f"naming this task's things, {len(specs)} list(s) of exact values, "
            f"{len(bundled)} named bundled file(s) or folder(s).",
            lines=sorted(
                {b.line for b in concrete_blocks}
                | {u.line for u in concrete_labels}
                | {units[0].line for _, units in specs}
            ),
            words=list(bundled)[:MAX_EVIDENCE],
        )
    ]
    vague = [b.line for b in placeholder_blocks]
    vague += [u.line for u in labelled if not u.says_something]
    if vague:
        words = sorted({p for b in placeholder_blocks for p in b.placeholders})
        words += sorted({p for u in labelled for p in placeholders(u.text)})
        findings.append(
            Finding(
                part=name,
                message="Example material that shows nothing of this task (placeholders or "
                "words any task would use).",
                lines=sorted(set(vague)),
                words=words[:MAX_EVIDENCE],
            )
        )
    good = "shows concrete input and output for this task"
    bad = (
        "show a real input and the output it should give (a command and its output, a "
        "before/after), with this task's files and values, not placeholders"
    )
    return Part(value, good, bad, findings)


def progressive_disclosure(
    reading: BodyReading, body: str, linked: list[str], name: str = "progressive_disclosure"
) -> Part:
    """A body short enough to load whole; long material in linked references/ or scripts/."""
    lines = markdown.line_count(body)
    tokens = markdown.estimate_tokens(body)
    disclosed = sorted({p for p in linked if p.startswith(_DISCLOSED)})
    long_blocks = [b for b in reading.blocks if b.text.count("\n") + 1 > LONG_BLOCK_LINES]
    value = 1.0
    problems: list[str] = []
    if lines > DISCLOSURE_LINES or tokens > DISCLOSURE_TOKENS:
        over = max(lines / DISCLOSURE_LINES, tokens / DISCLOSURE_TOKENS) - 1
        value -= min(0.6, over) if not disclosed else min(0.3, over / 2)
        problems.append(f"the body is {lines} lines / ~{tokens} tokens")
    if long_blocks:
        value -= min(0.4, 0.2 * len(long_blocks))
        problems.append(f"{len(long_blocks)} code block(s) over {LONG_BLOCK_LINES} lines inline")
    value = max(value, 0.0)
    findings = [
        Finding(
            part=name,
            message=f"Body {lines} lines, ~{tokens} tokens; linked files: "
            + (", ".join(disclosed) or "none"),
            lines=[b.line for b in long_blocks],
            words=disclosed[:MAX_EVIDENCE],
        )
    ]
    good = f"the body is {lines} lines" + (
        f" and keeps detail in {len(disclosed)} linked file(s)" if disclosed else ""
    )
    bad = "; ".join(problems) + "; move long material to linked references/ or scripts/"
    return Part(value, good, bad, findings)


def conciseness(reading: BodyReading, body: str, name: str = "conciseness") -> Part:
    """Enough words to teach the task, within the budget, spent on this task: the share of
    the body's units and code blocks that say something about it (boilerplate does not)."""
    lines = markdown.line_count(body)
    tokens = markdown.estimate_tokens(body)
    words = markdown.word_count(body)
    if lines >= BODY_MAX_LINES or tokens > BODY_MAX_TOKENS:
        overflow = max(lines / BODY_MAX_LINES - 1, tokens / BODY_MAX_TOKENS - 1, 0)
        length, length_note = max(0.0, 0.6 - overflow), f"{lines} lines / ~{tokens} tokens"
    elif words < 60:
        length, length_note = 0.5, f"only {words} words"
    elif words < 120:
        length, length_note = 0.8, f"only {words} words"
    else:
        length, length_note = 1.0, ""
    units: list[Unit] = [u for u in reading.units if u.words >= 2]
    blocks = [b for b in reading.blocks if b.text.strip()]
    total = len(units) + len(blocks)
    informative = sum(u.says_something for u in units) + sum(b.concrete for b in blocks)
    share = informative / total if total else 0.0
    density = min(share / FULL_INFORMATIVE_SHARE, 1.0)
    value = length * (0.3 + 0.7 * density)
    empty = [u for u in units if not u.says_something]
    findings = [
        Finding(
            part=name,
            message=f"{informative} of {total} paragraphs, items, rows and code blocks say "
            f"something specific to this skill ({share:.0%}); {lines} lines, ~{tokens} tokens.",
            lines=[u.line for u in empty][:MAX_EVIDENCE * 2],
        )
    ]
    problems = [length_note] if length_note else []
    if density < 1:
        problems.append(f"only {share:.0%} of the body says something specific to this task")
    good = f"the body is {lines} lines, ~{tokens} tokens, {share:.0%} of it specific"
    return Part(value, good, "; ".join(problems) or "trim what any skill would say", findings)
