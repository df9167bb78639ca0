"""SKILL.md as a reviewer sees it: the frontmatter as text, the body rendered and sanitized.

The body is written by a model from a user's task, so it is untrusted: markdown-it renders
it with raw HTML escaped, and nh3 then keeps only plain formatting tags. Images are
dropped (an `<img>` pointing elsewhere would make the page fetch from another host; the
Content-Security-Policy would block it anyway) and links get `rel="noopener noreferrer"`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"},
                      "td": {"style"}, "code": {"class"}}
_HEADING = re.compile(r"<h([1-6])>")


@dataclass(frozen=True)
class RenderedSkill:
    frontmatter: str  # the YAML between the `---` lines, as text ("" if none)
    body_html: Markup


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def split_frontmatter(text: str) -> tuple[str, str]:
    """(frontmatter, body); a file without a closed `---` block is all body."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "\n".join(lines[1:i]), "\n".join(lines[i + 1:])
    return "", text


def sanitize(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     strip_comments=True)


def nest_headings(html: str, under_level: int) -> str:
    """Give the body's headings the levels they have inside the page (`# x` under an h3 is
    a level-4 heading to assistive technology), so the page's outline stays in order; the
    tags stay as written. Runs on sanitized HTML, where a heading tag has no attribute."""
    if under_level <= 0:
        return html
    return _HEADING.sub(lambda m: f'<h{m[1]} aria-level="{min(6, int(m[1]) + under_level)}">',
                        html)


def render_skill(text: str, under_level: int = 0) -> RenderedSkill:
    """`under_level`: the level of the page heading the rendered body sits under."""
    frontmatter, body = split_frontmatter(text)
    html = nest_headings(sanitize(_parser().render(body)), under_level)
    return RenderedSkill(frontmatter=frontmatter, body_html=Markup(html))  # sanitized above
