"""House style, recognised loosely: how a skill says *when* to use it, and its sections.

Our own authors write one style (a "Use when ..." sentence; When to Use, Instructions,
Examples and Edge Cases sections). Experts write others ("Toolkit for ...", "When Claude needs
to ...", a "## Usage" or "## Overview" section, a "Traps" list), so what these recognise
decides only warnings and score parts, never whether a skill is valid.
"""

from __future__ import annotations

import re

from . import markdown

# Phrases that say when to use a skill, in the description or in a body section: "Use when
# ...", "when the user ...", "use this to/if ...", "triggers on ...", "this skill applies ...".
TRIGGER_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(use|used|invoke|invoked|trigger|triggers|activate|apply|applies|choose|pick|load|"
        r"reach\s+for)\b[^.;]{0,40}?\b(when|whenever|if)\b",
        r"\bwhen(ever)?\s+(the\s+|a\s+|an\s+)?(user|users|someone|people|you|asked|working|"
        r"handling|dealing|editing|creating|reviewing|writing|debugging|a\s+request|requests?)\b",
        r"\b(for|on)\s+(requests|questions|tasks|prompts)\s+(about|like|that|involving|"
        r"mentioning|to)\b",
        r"\btrigger(s|ed)?\s+(on|for|by)\b",
        r"\buse\s+(this|it)(\s+skill)?\s+(to|for|if|when|whenever|on|with)\b",
        r"\b(use|apply)\s+this\s+skill\b|\bthis\s+skill\s+(should|applies|is\s+for)\b",
        r"\b(trigger\s+)?(keywords?|trigger\s+(words|phrases))\s*:",
    )
)
# In a description every clause is about the skill, so these say when too: any "when ..."
# clause ("When Claude needs to work with .docx files"), and what it is for ("Toolkit for
# testing web apps", "Guidance for writing migrations", "for: (1) creating ...").
DESCRIPTION_ONLY_WHEN_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bwhen(ever)?\s+[a-z(\"'`]",
        r"\bfor\s*:?\s*(\(?\d+\)\s*)?[a-z]+ing\b",
        r"\b(toolkit|kit|guide|guidance|guidelines|suite|tools?|utilities|resources|knowledge|"
        r"helpers?|playbook|checklist|reference|framework|library|templates?|workflows?|"
        r"instructions|recipes|patterns|practices)\b[^.;]{0,40}?\bfor\b",
        r"\b(used|useful|designed|meant|intended)\s+(for|to|when|whenever|if)\b",
    )
)
WHEN_PATTERNS: tuple[re.Pattern[str], ...] = TRIGGER_PATTERNS + DESCRIPTION_ONLY_WHEN_PATTERNS

# Headings of the house-style sections, matched loosely: any reasonable heading counts.
SECTION_PATTERNS: dict[str, re.Pattern[str]] = {
    "section_when_to_use": re.compile(
        r"when\s+to\s+(use|apply|invoke)|when\s+should|\buse\s+(this\s+skill\s+)?when\b|"
        r"\btriggers?\b|\busage\b|\buse[- ]cases?\b|\bwhen\s+(it|this)\s+applies\b",
        re.IGNORECASE,
    ),
    "section_instructions": re.compile(
        r"instruction|\bsteps?\b|step[- ]by[- ]step|workflow|procedure|\bhow\s+to\b|process|"
        r"usage|quick\s*start|method|getting\s+started|\bapproach\b|\brecipes?\b|"
        r"\bplaybook\b|\bchecklist\b",
        re.IGNORECASE,
    ),
    "section_examples": re.compile(
        r"\bexamples?\b|\bsamples?\b|\bdemos?\b|walk-?through|\binput\s+and\s+output\b",
        re.IGNORECASE,
    ),
    "section_edge_cases": re.compile(
        r"edge[- ]cases?|pitfall|gotcha|caveat|troubleshoot|limitation|common\s+mistake|"
        r"error\s+handling|failure|corner\s+cases?|\btraps?\b|mistakes\s+to\s+avoid|"
        r"anti-?patterns?|known\s+issues",
        re.IGNORECASE,
    ),
}
# An introductory heading counts as the when-to-use section if its text says when (a
# "## Overview" with "Use this skill when ...").
INTRO_HEADING = re.compile(
    r"\b(overview|about|introduction|intro|purpose|scope|summary|background)\b", re.IGNORECASE
)
SECTION_TITLES: dict[str, str] = {
    "section_when_to_use": "When to Use",
    "section_instructions": "Instructions (or Steps/Workflow)",
    "section_examples": "Examples",
    "section_edge_cases": "Edge Cases (or Pitfalls/Troubleshooting)",
}

SECTION_HINTS = {
    "section_when_to_use": "or a Usage, Triggers, Use cases or Overview heading saying when",
    "section_instructions": "or Workflow, Steps, Procedure, Quick start, Approach",
    "section_examples": "or Example, Samples, Walkthrough",
    "section_edge_cases": "or Pitfalls, Gotchas, Caveats, Troubleshooting, Traps",
}


def says_when(description: str) -> bool:
    """True if the description says when to use the skill, in any phrasing: "Use when ...",
    "when ...", "for <doing> ...", "Toolkit for ...", "use this to/if ...", trigger keywords."""
    return any(pattern.search(description) for pattern in WHEN_PATTERNS)


def body_says_when(text: str) -> bool:
    """True if body text says when to use the skill ("Use this skill when ...", "applies
    whenever the user ..."); stricter than `says_when`, since a body's "when" is usually
    about a step, not about the skill."""
    return any(pattern.search(text) for pattern in TRIGGER_PATTERNS)


def section_title(body: str, check_name: str) -> str | None:
    """The title of the body's section for ``check_name`` under any reasonable heading.

    The when-to-use section is also found as an introduction ("Overview", "About",
    "Purpose"...) whose text says when to use the skill.
    """
    title = markdown.find_heading(body, SECTION_PATTERNS[check_name])
    if title or check_name != "section_when_to_use":
        return title
    for _, intro, _ in markdown.headings(body):
        if INTRO_HEADING.search(intro):
            pattern = re.compile(rf"^{re.escape(intro)}$")
            if body_says_when(markdown.section_text(body, pattern)):
                return intro
    return None


