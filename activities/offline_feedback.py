"""What the offline author does with a reviewer's free text: what it can read for certain.

Without a model there is no understanding of prose. A few requests have one meaning and are
applied exactly: a name ("name it triage-latency-alerts"), a category ("put it under
devops"), a section added or removed ("add a Troubleshooting section", "remove the
References section"). Everything else is left as it was and the next prompt says so, pointing
to the edit fields or to configuring a model: never pasted into the skill, never ignored
in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from skill_format import FrontmatterError, parse_frontmatter
from skill_format.models import SkillContent
from skill_format.skill_name import KEBAB_CASE
from workflows.activity_models import Understanding
from workflows.reviewer_edits import category_of
from workflows.taxonomy import CATEGORIES, is_known_category, taxonomy_path

# The sections the offline author writes; an outline without one of them drops it.
STANDARD_SECTIONS = ("When to Use", "Instructions", "Examples", "Edge Cases", "References")
NAME = re.compile(rf"{KEBAB_CASE}\Z")
_QUOTED = r"\"[^\"\n]{1,80}\"|'[^'\n]{1,80}'|“[^”\n]{1,80}”|`[^`\n]{1,80}`"
_VALUE = r"[\"'`“]?[A-Za-z0-9][\w./-]*[\"'`”]?"
_TITLE_BEFORE = rf"(?P<t>{_QUOTED}|[A-Za-z][\w &/-]{{0,60}}?)\s+section\b"
_TITLE_AFTER = rf"section\s+(?:called\s+|named\s+|titled\s+|on\s+|about\s+|for\s+)?" \
               rf"(?P<t>{_QUOTED}|[A-Za-z][^.,;:!?\n]{{0,60}}?)(?=\s*$|\s*[.,;:!?\n]|\s+and\s)"
_I = re.IGNORECASE
NAME_ASKS = [
    re.compile(rf"\b(?:name|call|rename)\s+(?:it|this|the\s+skill|this\s+skill)\s+"
               rf"(?:to\s+|as\s+)?(?P<v>{_VALUE})", _I),
    re.compile(rf"\brename\s+(?:it\s+)?to\s+(?P<v>{_VALUE})", _I),
    re.compile(rf"\b(?:the\s+)?(?:skill\s+)?name\s+(?:should\s+be|must\s+be|is|=|:)\s*"
               rf"(?P<v>{_VALUE})", _I),
    re.compile(rf"\buse\s+the\s+name\s+(?P<v>{_VALUE})", _I),
]
CATEGORY_ASKS = [
    re.compile(rf"\b(?:put|file|move|place)\s+(?:it|this|the\s+skill|this\s+skill)\s+"
               rf"(?:under|in|into)\s+(?:the\s+)?(?P<v>{_VALUE})(?:\s+category)?", _I),
    re.compile(rf"\b(?:the\s+)?category\s+(?:should\s+be|must\s+be|is|=|:|to)\s*"
               rf"(?P<v>{_VALUE})", _I),
]
ADD_ASKS = [re.compile(rf"\badd\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?{_TITLE_AFTER}", _I),
            re.compile(rf"\badd\s+(?:a|an|the)\s+(?:new\s+)?{_TITLE_BEFORE}", _I)]
REMOVE_ASKS = [re.compile(rf"\b(?:remove|drop|delete|omit)\s+(?:the\s+)?{_TITLE_AFTER}", _I),
               re.compile(rf"\b(?:remove|drop|delete|omit)\s+(?:the\s+)?{_TITLE_BEFORE}", _I)]
# Words that carry no request of their own once the requests around them are read.
FILLERS = frozenset("""a an and also please then too it the so but can could would you i we
    want like to thanks thank ok okay just as well this that""".split())
HOW_TO_EDIT = ("Edit it yourself (skill_name, description, category and outline at confirm; "
               "skill_md and files at preview), or configure a model (SKILL_FLEET_MODEL) to "
               "have free text applied.")


@dataclass
class FeedbackReading:
    """The requests read from one piece of feedback, and what could not be read."""

    skill_name: str | None = None
    category: str | None = None
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def _clean(value: str) -> str:
    return value.strip().strip("\"'`“”").rstrip(".,;:!?").strip()


def _title(value: str) -> str:
    text = " ".join(_clean(value).split())
    return text[:1].upper() + text[1:]


def _key(title: str) -> str:
    return " ".join(title.casefold().split())


def read_feedback(text: str) -> FeedbackReading:
    """Read the requests with one meaning; the sentences left over are `unread`."""
    reading = FeedbackReading()
    spans: list[tuple[int, int]] = []

    def found(patterns: list[re.Pattern[str]]) -> list[str]:
        values = []
        for pattern in patterns:
            for match in pattern.finditer(text):
                if any(a < match.end() and match.start() < b for a, b in spans):
                    continue
                spans.append(match.span())
                values.append(match.group("v" if "v" in pattern.groupindex else "t"))
        return values

    for raw in found(NAME_ASKS):
        name = _clean(raw)
        if NAME.match(name) and len(name) <= 64:
            reading.skill_name = name
        else:
            reading.problems.append(f"'{name}' is not a valid skill name (lowercase letters, "
                                    "digits and single hyphens, at most 64 characters)")
    for raw in found(CATEGORY_ASKS):
        category = _clean(raw).lower()
        if is_known_category(category):
            reading.category = category
        else:
            reading.problems.append(f"'{category}' is not a known category (one of "
                                    f"{', '.join(CATEGORIES)})")
    reading.remove = [_title(t) for t in found(REMOVE_ASKS)]
    reading.add = [_title(t) for t in found(ADD_ASKS)]
    masked = list(text)
    for start, end in spans:
        masked[start:end] = " " * (end - start)
    flat = "".join(masked)
    for sentence in re.finditer(r"[^.;!?\n]+", flat):
        words = [w for w in re.findall(r"[A-Za-z0-9']+", sentence.group())
                 if w.lower() not in FILLERS]
        if words:
            reading.unread.append(" ".join(text[sentence.start():sentence.end()].split()))
    return reading


def _plain_note(reading: FeedbackReading, applied: list[str], kept: str) -> list[str]:
    notes = []
    if applied:
        notes.append("Applied from your feedback: " + "; ".join(applied) + ".")
    notes += [f"Not applied: {p}." for p in reading.problems]
    if reading.unread:
        quoted = " ".join(f'"{u}"' for u in reading.unread)
        notes.append(f"The offline author cannot rewrite {kept} from free text, so it is "
                     f"unchanged by: {quoted}. {HOW_TO_EDIT}")
    return notes


def revise_plan(plan: Understanding, feedback: list[str]) -> Understanding:
    """Apply every feedback's readable requests in order; note what the newest one left."""
    outline = list(plan.outline)
    category = category_of(plan)
    reading, applied = FeedbackReading(), []
    for text in (f for f in feedback if f and f.strip()):
        reading, applied = read_feedback(text), []
        if reading.skill_name:
            plan.skill_name = reading.skill_name
            applied.append(f"named the skill '{reading.skill_name}'")
        if reading.category:
            category = reading.category
            applied.append(f"put it under '{category}'")
        for title in reading.remove:
            before = len(outline)
            outline = [s for s in outline if _key(s) != _key(title)]
            if len(outline) < before:
                applied.append(f"removed the section '{title}' from the outline")
            else:
                reading.problems.append(f"the outline has no section '{title}'")
        for title in reading.add:
            if _key(title) in {_key(s) for s in outline}:
                reading.problems.append(f"the outline already has a section '{title}'")
                continue
            at = next((i for i, s in enumerate(outline) if _key(s) == "references"), None)
            outline.insert(len(outline) if at is None else at, title)
            applied.append(f"added the section '{title}' to the outline")
    plan.outline = outline
    plan.category = category.split("/")[0]
    plan.taxonomy_path = taxonomy_path(category, plan.skill_name)
    plan.notes = _plain_note(reading, applied, "the plan")
    return plan


# ------------------------------------------------------------------ sections of SKILL.md


@dataclass
class _Section:
    title: str
    lines: list[str]


def _split(skill_md: str) -> tuple[str, list[str], list[_Section]]:
    """(frontmatter block, lines before the first `## `, the `## ` sections); fences kept."""
    head, body = "", skill_md
    if skill_md.startswith("---\n"):
        end = skill_md.find("\n---\n", 4)
        if end != -1:
            head, body = skill_md[:end + 5], skill_md[end + 5:]
    preamble: list[str] = []
    sections: list[_Section] = []
    fence: str | None = None
    for line in body.split("\n"):
        marker = line.lstrip()[:3]
        if marker in ("```", "~~~"):
            fence = None if fence == marker else (fence or marker)
        if fence is None and line.startswith("## "):
            sections.append(_Section(line[3:].strip(), [line]))
        elif sections:
            sections[-1].lines.append(line)
        else:
            preamble.append(line)
    return head, preamble, sections


def _join(head: str, preamble: list[str], sections: list[_Section]) -> str:
    lines = preamble + [ln for s in sections for ln in s.lines]
    return head + "\n".join(lines).rstrip("\n") + "\n"


def _placeholder(title: str) -> _Section:
    return _Section(title, [f"## {title}", "",
                            f"- To be written: what the agent should know about "
                            f"{title[:1].lower() + title[1:]}.", ""])


def follow_outline(skill_md: str, outline: list[str]) -> str:
    """SKILL.md with the planned sections: dropped standard ones out, new ones in order."""
    if not outline:
        return skill_md
    head, preamble, sections = _split(skill_md)
    wanted = [_key(t) for t in outline]
    standard = {_key(t) for t in STANDARD_SECTIONS}
    kept = [s for s in sections if _key(s.title) in wanted or _key(s.title) not in standard]
    present = {_key(s.title): s for s in kept if _key(s.title) in wanted}
    slots = [i for i, s in enumerate(kept) if _key(s.title) in wanted]
    for slot, section in zip(slots, [present[k] for k in wanted if k in present], strict=True):
        kept[slot] = section
    for index, title in enumerate(outline):
        if _key(title) in present:
            continue
        before = set(wanted[:index])
        at = max((i for i, s in enumerate(kept) if _key(s.title) in before), default=-1) + 1
        kept.insert(at, present.setdefault(_key(title), _placeholder(title)))
    if kept and kept[-1].lines[-1] != "":
        kept[-1].lines.append("")
    return _join(head, preamble, kept)


def revise_content(previous: SkillContent, feedback: str, plan: Understanding) -> SkillContent:
    """The previous version with the readable requests applied, and notes on the rest."""
    reading = read_feedback(feedback)
    head, preamble, sections = _split(previous.skill_md)
    applied: list[str] = []
    for title in reading.remove:
        kept = [s for s in sections if _key(s.title) != _key(title)]
        if len(kept) < len(sections):
            sections = kept
            applied.append(f"removed the section '{title}'")
        else:
            reading.problems.append(f"SKILL.md has no section '{title}'")
    for title in reading.add:
        if any(_key(s.title) == _key(title) for s in sections):
            reading.problems.append(f"SKILL.md already has a section '{title}'")
            continue
        at = next((i for i, s in enumerate(sections) if _key(s.title) == "references"),
                  len(sections))
        sections.insert(at, _placeholder(title))
        applied.append(f"added the section '{title}' (its text is yours to write at preview)")
    if reading.skill_name or reading.category:
        reading.problems.append(
            "a new name or category changes the plan, not the text: give skill_name or "
            "category at confirm, or rewind to generation with skill_name")
    # The frontmatter is kept byte for byte; only `## ` sections move.
    skill_md = _join(head, preamble, sections) if applied else previous.skill_md
    return SkillContent(skill_md=skill_md, files=dict(previous.files),
                        notes=_plain_note(reading, applied, "the skill"))


def written_for(previous: SkillContent, plan: Understanding) -> bool:
    """True if `previous` carries the plan's name (a rewind may have renamed the skill)."""
    try:
        return parse_frontmatter(previous.skill_md).get("name") == plan.skill_name
    except FrontmatterError:
        return False
