"""The quality score: five named parts in 0..1 and their weighted mean.

Rule checks say whether a skill is *allowed*; the score says whether it is *good*: will it
be picked for the right requests, is it easy to follow, does it show examples, is it short
enough to load cheaply, and do its links lead somewhere. Weights (sum 1.0):

- ``trigger_clarity`` 0.45: the description says what (0.25) and when (0.25, in any
  phrasing; half of it when only a body section says when), carries keywords (0.20) and its
  trigger cases behave (0.30; left out and re-weighted when there are none).
- ``structure`` 0.10: the house-style sections under any reasonable heading: When to Use
  (0.4; also met by a description that says when), Instructions, Examples and Edge Cases
  (0.2 each).
- ``examples`` 0.15: 1.0 for an examples section showing input and output, 0.6 for a
  partial one, 0.4 for a section without either; examples shown anywhere (a fenced block, a
  table, or labelled input and output) get at least 0.7, a mere mention of an example 0.3.
- ``conciseness`` 0.15: 1.0 from 120 words up to the 500-line/5,000-token budget; thin
  bodies get 0.5 (<60 words) or 0.8; over budget drops from 0.6 toward 0.
- ``link_integrity`` 0.15: share of local links that stay inside, are at most one level deep
  and resolve (1.0 without links), halved in proportion to unlinked references/ files.

House style cannot fail a skill on its own. ``structure`` was 0.20 (When to Use alone 0.08),
so an expert skill without our headings lost up to 0.20 and failed on score alone; the 0.10
taken from it went to ``trigger_clarity``, which measures what the When to Use heading stood
for (saying when, wherever and however it is said). Now, with the description saying when,
missing every house heading costs 0.06, examples outside an examples heading 0.045, and a
body at the line budget 0.06: together less than the 0.25 above the default pass mark (0.75).

Any failed error check caps the score at `ERROR_SCORE_CAP`, so an invalid skill can never
look good, whatever the pass threshold. Parts scoring at least `STRENGTH_AT` are reported
as strengths, the others as weaknesses, each with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from workflows.models import TriggerCase, ValidationCheck

from . import markdown
from .document import SKILL_MD, ParsedSkill
from .report import ERROR_SCORE_CAP, STRENGTH_AT
from .rules import BODY_MAX_LINES, BODY_MAX_TOKENS
from .style import SECTION_PATTERNS, SECTION_TITLES, WHEN_PATTERNS, says_when
from .triggers import keywords

WEIGHTS: dict[str, float] = {
    "trigger_clarity": 0.45,
    "structure": 0.10,
    "examples": 0.15,
    "conciseness": 0.15,
    "link_integrity": 0.15,
}

_SECTION_WEIGHTS = {
    "section_when_to_use": 0.4,
    "section_instructions": 0.2,
    "section_examples": 0.2,
    "section_edge_cases": 0.2,
}
_INPUT_WORDS = re.compile(
    r"\b(input|request|user|prompt|before|given|query|asks?)\b", re.IGNORECASE
)
_OUTPUT_WORDS = re.compile(
    r"\b(output|result|response|after|returns?|expected|produces?|answer|replies)\b",
    re.IGNORECASE,
)
# A sentence that only says when ("Use when ...", "When Claude needs ...", "Keywords: ...")
# tells nothing about what the skill does; other sentences may do both ("Toolkit for ...").
_WHEN_ONLY_SENTENCE = re.compile(
    r"^\W*(use|invoke|trigger(s|ed)?|when(ever)?|keywords?|trigger\s+(keywords|words|phrases)|"
    r"apply\s+(this|it|when|whenever|if)|this\s+skill\s+(should|applies|is\s+used)|"
    r"(claude|agents?|you)\s+should)\b",
    re.IGNORECASE,
)
_FENCE = re.compile(r"\s{0,3}(```|~~~)")
_INPUT_LABEL = re.compile(r"^\W{0,4}(input|before|request|given|prompt)\b[^:\n]{0,20}:", re.I)
_OUTPUT_LABEL = re.compile(
    r"^\W{0,4}(output|after|result|response|expected)\b[^:\n]{0,20}:", re.IGNORECASE
)
_EXAMPLE_MENTION = re.compile(r"\bexamples?\b|\be\.g\.|\bfor instance\b", re.IGNORECASE)


@dataclass
class Score:
    """The combined score, its parts, and one sentence per strong or weak part."""

    score: float
    parts: dict[str, float]
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)


def score_skill(
    skill: ParsedSkill, checks: Sequence[ValidationCheck], cases: Sequence[TriggerCase]
) -> Score:
    """Score a parsed skill from its checks and trigger cases."""
    if skill.stage == "missing":
        parts = dict.fromkeys(WEIGHTS, 0.0)
        return Score(0.0, parts, weaknesses=[f"{name}: there is no SKILL.md" for name in parts])
    failed = {c.check for c in checks if not c.passed}
    description = skill.string_field("description")
    description_when = bool(description) and says_when(description or "")
    body_when = "section_when_to_use" not in failed
    scored = [
        _trigger_clarity(description, cases, body_when),
        _structure(failed, description_when),
        _examples(skill.body),
        _conciseness(skill.body),
        _link_integrity(skill),
    ]
    parts = {name: round(value, 4) for name, (value, _, _) in zip(WEIGHTS, scored, strict=True)}
    total = sum(WEIGHTS[name] * value for name, value in parts.items())
    if any(not c.passed and c.severity == "error" for c in checks):
        total = min(total, ERROR_SCORE_CAP)
    result = Score(round(total, 4), parts)
    for name, (value, good, bad) in zip(WEIGHTS, scored, strict=True):
        if value >= STRENGTH_AT:
            result.strengths.append(f"{name}: {good}")
        else:
            result.weaknesses.append(f"{name}: {bad}")
    return result


def _trigger_clarity(
    description: str | None, cases: Sequence[TriggerCase], body_when: bool = False
) -> tuple[float, str, str]:
    if not description or not description.strip():
        return 0.0, "", "there is no usable description to trigger on"
    sentences = re.split(r"(?<=[.!?])\s+", description.strip())
    when_sentences = [s for s in sentences if any(p.search(s) for p in WHEN_PATTERNS)]
    what_text = " ".join(s for s in sentences if not _WHEN_ONLY_SENTENCE.match(s))
    when = 1.0 if when_sentences else 0.5 if body_when else 0.0
    components = {
        "what": (min(len(keywords(what_text)) / 6, 1.0), 0.25),
        "when": (when, 0.25),
        "keywords": (min(len(keywords(description)) / 10, 1.0), 0.20),
    }
    wrong = [c for c in cases if not c.ok]
    if cases:
        components["triggers"] = (1 - len(wrong) / len(cases), 0.30)
    value = sum(v * w for v, w in components.values()) / sum(w for _, w in components.values())
    missing = []
    if components["what"][0] < 1:
        missing.append("say more about what the skill does")
    if not when_sentences:
        missing.append(
            "say when to use it (only the body says so; agents choose by the description)"
            if body_when
            else "say when to use it"
        )
    if components["keywords"][0] < 1:
        missing.append("use more of the words users say")
    if wrong:
        missing.append(
            f"{len(wrong)} of {len(cases)} trigger cases behave wrongly "
            f"(e.g. '{wrong[0].request}' should "
            f"{'' if wrong[0].should_trigger else 'not '}trigger)"
        )
    cases_note = f"; {len(cases) - len(wrong)}/{len(cases)} trigger cases behave" if cases else ""
    good = f"the description says what the skill does and when to use it{cases_note}"
    return value, good, "the description should " + "; ".join(missing or ["be clearer"])


def _structure(failed: set[str], description_when: bool = False) -> tuple[float, str, str]:
    """House-style sections; when to use counts if the description says it instead."""
    present = {name for name in _SECTION_WEIGHTS if name not in failed}
    if description_when:
        present.add("section_when_to_use")
    missing = [SECTION_TITLES[name] for name in _SECTION_WEIGHTS if name not in present]
    value = sum(w for name, w in _SECTION_WEIGHTS.items() if name in present)
    return (
        value,
        "says when to use it and has Instructions, Examples and Edge Cases sections",
        "missing section(s): " + ", ".join(missing),
    )


def _examples(body: str) -> tuple[float, str, str]:
    value = 0.0
    section = markdown.section_text(body, SECTION_PATTERNS["section_examples"])
    if section.strip():
        has_input = bool(_INPUT_WORDS.search(section))
        has_output = bool(_OUTPUT_WORDS.search(section))
        fences = sum(1 for line in section.splitlines() if _FENCE.match(line))
        if (has_input and has_output) or fences >= 4:
            value = 1.0
        elif has_input or has_output or fences:
            value = 0.6
        else:
            value = 0.4
    if value < 0.7 and _concrete_material(body):
        value = 0.7
    elif not value and _EXAMPLE_MENTION.search(markdown.scannable_text(body)):
        value = 0.3
    return (
        value,
        "shows example input and output",
        "add an Examples section showing a realistic input and the expected output",
    )


def _concrete_material(body: str) -> bool:
    """Examples shown anywhere, if not under an examples heading: a fenced block, a Markdown
    table, or a labelled input ("Input:", "Before:") with a labelled output."""
    has_input = has_output = False
    for line in markdown.scannable_text(body).splitlines():
        if _FENCE.match(line):
            return True
        stripped = line.strip()
        if "|" in stripped and "---" in stripped and set(stripped) <= set("|-: "):
            return True
        has_input = has_input or bool(_INPUT_LABEL.match(stripped))
        has_output = has_output or bool(_OUTPUT_LABEL.match(stripped))
    return has_input and has_output


def _conciseness(body: str) -> tuple[float, str, str]:
    lines = markdown.line_count(body)
    tokens = markdown.estimate_tokens(body)
    words = markdown.word_count(body)
    if lines >= BODY_MAX_LINES or tokens > BODY_MAX_TOKENS:
        overflow = max(lines / BODY_MAX_LINES - 1, tokens / BODY_MAX_TOKENS - 1, 0)
        value = max(0.0, 0.6 - overflow)
        bad = f"the body is {lines} lines / ~{tokens} tokens; move detail to references/"
    elif words < 60:
        value, bad = 0.5, f"the body has only {words} words; say what the agent needs to know"
    elif words < 120:
        value, bad = 0.8, f"the body has only {words} words"
    else:
        value, bad = 1.0, ""
    return value, f"the body is {lines} lines, ~{tokens} tokens", bad


def _link_integrity(skill: ParsedSkill) -> tuple[float, str, str]:
    local = [link for link in markdown.links(skill.body) if link.is_local and link.path]
    existing = {SKILL_MD, *skill.folder.files, *skill.folder.dirs}
    bad = [
        link
        for link in local
        if link.escapes_folder or link.depth > 1 or link.normalized not in existing
    ]
    value = 1 - len(bad) / len(local) if local else 1.0
    references = [p for p in skill.folder.files if p.startswith("references/")]
    linked = {link.normalized for link in local}
    unlinked = [p for p in references if p not in linked]
    if references:
        value *= 1 - 0.5 * len(unlinked) / len(references)
    problems = []
    if bad:
        problems.append(f"{len(bad)} of {len(local)} local links are broken or too deep")
    if unlinked:
        problems.append(f"{len(unlinked)} reference file(s) are never linked")
    good = f"all {len(local)} local links resolve" if local else "no local links to break"
    return value, good, "; ".join(problems) or "links need attention"
