"""The quality score: named parts in 0..1, each with evidence, and their weighted mean.

Rule checks say whether a skill is *allowed*; the score says whether it is *good*, in the parts
an expert reviewer would name. Weights (sum 1.0, `WEIGHTS`):

- ``trigger_clarity`` 0.20: the description says what (0.25) and when (0.25, in any
  phrasing; half of it when only a body section says when), carries keywords (0.20) and its
  trigger cases behave (0.30; left out and re-weighted when there are none).
- ``specificity`` 0.25: the body names terms of its own (commands, files, formats, tools,
  domain words rarer than everyday English) beyond its name and description, and uses the
  description's terms in instructions that say something (see `substance`).
- ``actionability`` 0.15: the share of instructions that name concrete actions and objects;
  the ones that would fit any task are listed with their lines (lines under a when-to-use
  heading or a "Keywords:" line are trigger material, not instructions).
- ``examples`` 0.15: concrete input and output (code blocks with real content, tables,
  labelled examples naming this task's things), lists of exact values (a reference-style
  skill's hex colours, sizes, formats) and bundled files the body names (templates, samples),
  not placeholders.
- ``conciseness`` 0.10: enough words, within the 500-line/5,000-token budget, and the share of
  the body that says something specific to this task (boilerplate does not).
- ``progressive_disclosure`` 0.05: a body short enough to load whole, long material in
  linked ``references/`` or ``scripts/``.
- ``structure`` 0.05: the house-style sections under any reasonable heading (When to Use 0.4,
  also met by a description that says when; Instructions, Examples, Edge Cases 0.2 each).
- ``link_integrity`` 0.05: share of local links that stay inside, are at most one level deep
  and resolve (1.0 without links), halved in proportion to unlinked references/ files.

House style cannot fail a skill: with the description saying when, missing every house heading
costs 0.03. Substance decides: a body that restates its description in steps that fit any task
loses most of specificity, actionability, examples and conciseness (about 0.5 of the score).
The calibration set under ``tests/data/calibration/`` holds the parts to that (see its tests).

Any failed error check caps the score at `ERROR_SCORE_CAP`, so an invalid skill can never
look good, whatever the pass threshold. Parts scoring at least `STRENGTH_AT` are reported
as strengths, the others as weaknesses, each with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import markdown, substance
from .document import SKILL_MD, ParsedSkill
from .models import Finding, TriggerCase, ValidationCheck
from .reading import read_body
from .report import ERROR_SCORE_CAP, STRENGTH_AT
from .style import SECTION_TITLES, WHEN_PATTERNS, says_when
from .substance import Part
from .triggers import keywords

WEIGHTS: dict[str, float] = {
    "trigger_clarity": 0.20,
    "specificity": 0.25,
    "actionability": 0.15,
    "examples": 0.15,
    "conciseness": 0.10,
    "progressive_disclosure": 0.05,
    "structure": 0.05,
    "link_integrity": 0.05,
}

_SECTION_WEIGHTS = {
    "section_when_to_use": 0.4,
    "section_instructions": 0.2,
    "section_examples": 0.2,
    "section_edge_cases": 0.2,
}
# A sentence that only says when ("Use when ...", "When Claude needs ...", "Keywords: ...")
# tells nothing about what the skill does; other sentences may do both ("Toolkit for ...").
_WHEN_ONLY_SENTENCE = re.compile(
    r"^\W*(use|invoke|trigger(s|ed)?|when(ever)?|keywords?|trigger\s+(keywords|words|phrases)|"
    r"apply\s+(this|it|when|whenever|if)|this\s+skill\s+(should|applies|is\s+used)|"
    r"(claude|agents?|you)\s+should)\b",
    re.IGNORECASE,
)


@dataclass
class Score:
    """The combined score, its parts, one sentence per strong or weak part, and evidence."""

    score: float
    parts: dict[str, float]
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def score_skill(
    skill: ParsedSkill, checks: Sequence[ValidationCheck], cases: Sequence[TriggerCase]
) -> Score:
    """Score a parsed skill from its body, its checks and its trigger cases."""
    if skill.stage == "missing":
        parts = dict.fromkeys(WEIGHTS, 0.0)
        return Score(0.0, parts, weaknesses=[f"{name}: there is no SKILL.md" for name in parts])
    failed = {c.check for c in checks if not c.passed}
    description = skill.string_field("description")
    description_when = bool(description) and says_when(description or "")
    body_when = "section_when_to_use" not in failed
    reading = read_body(skill.body, skill.string_field("name"), description)
    linked = [link.normalized for link in markdown.links(skill.body) if link.is_local]
    scored: dict[str, Part] = {
        "trigger_clarity": _trigger_part(description, cases, body_when),
        "specificity": substance.specificity(reading, description or ""),
        "actionability": substance.actionability(reading),
        "examples": substance.examples(
            reading,
            skill.body,
            substance.bundled_material(reading, linked, skill.folder.files, skill.folder.dirs),
        ),
        "conciseness": substance.conciseness(reading, skill.body),
        "progressive_disclosure": substance.progressive_disclosure(reading, skill.body, linked),
        "structure": _part(_structure(failed, description_when)),
        "link_integrity": _part(_link_integrity(skill)),
    }
    parts = {name: round(scored[name].value, 4) for name in WEIGHTS}
    total = sum(WEIGHTS[name] * value for name, value in parts.items())
    if any(not c.passed and c.severity == "error" for c in checks):
        total = min(total, ERROR_SCORE_CAP)
    result = Score(round(total, 4), parts)
    for name in WEIGHTS:
        part = scored[name]
        if part.value >= STRENGTH_AT:
            result.strengths.append(f"{name}: {part.good}")
        else:
            result.weaknesses.append(f"{name}: {part.bad}")
        result.findings.extend(part.findings)
    return result


def _part(scored: tuple[float, str, str]) -> Part:
    return Part(*scored)


def _trigger_part(
    description: str | None, cases: Sequence[TriggerCase], body_when: bool
) -> Part:
    """Trigger clarity with its evidence: the description's keywords and each wrong case."""
    part = _part(_trigger_clarity(description, cases, body_when))
    name = "trigger_clarity"
    words = sorted(keywords(description or ""))
    part.findings.append(
        Finding(part=name, message=f"The description has {len(words)} keywords.", words=words)
    )
    for case in cases:
        if not case.ok:
            verb = "should trigger but does not" if case.should_trigger else "triggers wrongly"
            part.findings.append(Finding(part=name, message=f"'{case.request}' {verb}."))
    return part


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
