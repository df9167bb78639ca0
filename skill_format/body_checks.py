"""The checks of a skill's body: its size, its house-style sections and its local links.

Size and sections are warnings (house style); links that leave the folder, go more than one
level deep or do not resolve are errors (a reader following them finds nothing).
"""

from __future__ import annotations

from . import markdown
from .document import SKILL_MD, ParsedSkill
from .models import ValidationCheck
from .rules import BODY_MAX_LINES, BODY_MAX_TOKENS, check
from .style import SECTION_HINTS, SECTION_PATTERNS, SECTION_TITLES, section_title


def body_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    """Size and house-style section checks of the body: all warnings."""
    body = skill.body
    lines = markdown.line_count(body)
    tokens = markdown.estimate_tokens(body)
    checks = [
        check(
            "body_line_count",
            f"The SKILL.md body has {lines} lines; keep it under {BODY_MAX_LINES} and move "
            "detail to references/ (an agent loads the whole body)."
            if lines >= BODY_MAX_LINES
            else None,
            f"Body has {lines} lines.",
        ),
        check(
            "body_token_estimate",
            f"The SKILL.md body is about {tokens} tokens; aim for under {BODY_MAX_TOKENS}."
            if tokens > BODY_MAX_TOKENS
            else None,
            f"Body is about {tokens} tokens.",
        ),
        check("body_line_length", _long_lines(body), _LINE_LIMIT_OK),
    ]
    for check_name in SECTION_PATTERNS:
        title = section_title(body, check_name)
        checks.append(
            check(
                check_name,
                None
                if title
                else f"The body has no '{SECTION_TITLES[check_name]}' section "
                f"({SECTION_HINTS[check_name]}); house style, not required.",
                f"Has a '{title}' section.",
            )
        )
    return checks


_LINE_LIMIT_OK = f"No body line is over {markdown.MAX_LINE_CHARS} characters."


def _long_lines(body: str) -> str | None:
    """Over-long lines are not read as Markdown (that bounds the work on hostile input), so
    say which they are: links and headings on them go unchecked."""
    found = markdown.long_lines(body)
    if not found:
        return None
    shown = ", ".join(f"{number} ({length} characters)" for number, length in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    return (
        f"Body line(s) {shown}{more} are over {markdown.MAX_LINE_CHARS} characters; such lines "
        "are not read as Markdown, so their links and headings go unchecked. Break them up."
    )


def link_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    """Local links must stay in the folder, be at most one level deep and resolve (errors);
    reference files should be linked (a warning)."""
    folder = skill.folder
    local = [link for link in markdown.links(skill.body) if link.is_local and link.path]
    outside = [link for link in local if link.escapes_folder]
    inside = [link for link in local if not link.escapes_folder]
    deep = [link for link in inside if link.depth > 1]
    existing = {SKILL_MD, *folder.files, *folder.dirs}
    broken = [link for link in inside if link.normalized not in existing]

    def listed(found: list[markdown.Link]) -> str:
        return ", ".join(f"'{link.target}' (line {link.line})" for link in found[:5])

    linked = {link.normalized for link in inside}
    unlinked = sorted(p for p in folder.files if p.startswith("references/") and p not in linked)
    return [
        check(
            "links_within_folder",
            f"Link(s) {listed(outside)} leave the skill folder; use paths relative to SKILL.md "
            "without '..'."
            if outside
            else None,
            "Every local link stays in the folder.",
        ),
        check(
            "links_one_level_deep",
            f"Link(s) {listed(deep)} are more than one folder deep; link files like "
            "'references/guide.md'."
            if deep
            else None,
            "Local links are at most one level deep.",
        ),
        check(
            "links_resolve",
            f"Link(s) {listed(broken)} point to files that are not in the skill."
            if broken
            else None,
            f"All {len(inside)} local link(s) resolve.",
        ),
        check(
            "references_linked",
            f"Reference file(s) {', '.join(repr(p) for p in unlinked[:5])} are never linked "
            "from SKILL.md, so an agent will not find them."
            if unlinked
            else None,
            "Every reference file is linked.",
        ),
    ]
