"""Markdown as a CommonMark renderer shows it: headings, sections, links, code, size.

The structure comes from markdown-it-py's tokens, not from regexes: hand-written patterns
backtracked quadratically on lines of unclosed link openers, and disagreed with renderers
where it matters for safety (an escaped backtick hid a live link from the link checks). Code
(fenced, indented, inline) holds no headings or links, exactly as a renderer draws it.

The parser is linear, but with a large constant, so lines longer than `MAX_LINE_CHARS` are
not read at all: they are blanked before parsing (line numbers keep), named by `long_lines`
for a warning, and left out of the text other modules scan with patterns.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

# Generous for prose (a long paragraph is ~1,000 characters), small enough that a line of
# hostile punctuation costs the parser well under a second.
MAX_LINE_CHARS = 10_000

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_INLINE_KEY = "skill_format.inline"  # env key: the inline source being parsed
_SPANS_KEY = "skill_format.code_spans"  # env key: where blank_inline_code collects spans


@dataclass(frozen=True)
class Link:
    """A link target found in Markdown, with its 1-based line number."""

    target: str
    line: int

    @property
    def is_local(self) -> bool:
        """True for links into the skill folder (not URLs, not in-page anchors)."""
        target = self.target
        return not (target.startswith("#") or target.startswith("//") or _SCHEME.match(target))

    @property
    def path(self) -> str:
        """The target without query/fragment, percent-decoded, backslashes as slashes."""
        path = re.split(r"[?#]", self.target, maxsplit=1)[0]
        return unquote(path).replace("\\", "/")

    @property
    def escapes_folder(self) -> bool:
        """True for absolute paths and any path with a '..' segment."""
        path = self.path
        return path.startswith("/") or ".." in path.split("/")

    @property
    def parts(self) -> list[str]:
        """Path segments with '.' and empty segments removed."""
        return [part for part in self.path.split("/") if part not in ("", ".")]

    @property
    def normalized(self) -> str:
        """The folder-relative POSIX path the link points to."""
        return "/".join(self.parts)

    @property
    def depth(self) -> int:
        """Folders between SKILL.md and the target: 0 for 'x.md', 1 for 'references/x.md'."""
        return max(len(self.parts) - 1, 0)


# --------------------------------------------------------------------------- the parser


@dataclass
class _InlineSource:
    """The inline text being parsed and its first line, to turn positions into lines."""

    text: str
    first_line: int  # 0-based line of the text's first character
    newlines: list[int] | None = None  # positions of "\n", found when first needed

    def line_at(self, pos: int) -> int:
        if self.newlines is None:
            self.newlines = [i for i, char in enumerate(self.text) if char == "\n"]
        return self.first_line + bisect_left(self.newlines, pos) + 1


def _inline_with_lines(state: StateCore) -> None:
    """markdown-it's core "inline" rule, telling the inline rules where each text starts.

    Footnote definitions ("[^1]: ...") are dropped first, so "[^1]" stays a footnote mark
    (as GitHub draws it) rather than a link to the footnote's text.
    """
    references = state.env.get("references")
    if isinstance(references, dict):
        for label in [label for label in references if str(label).startswith("^")]:
            del references[label]
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            first = token.map[0] if token.map else 0
            state.env[_INLINE_KEY] = _InlineSource(token.content, first)
            state.md.inline.parse(token.content, state.md, state.env, token.children)
    state.env.pop(_INLINE_KEY, None)


InlineRule = Callable[[StateInline, bool], bool]


def _located(rule: InlineRule) -> InlineRule:
    """Wrap an inline rule so the links, images and code spans it makes carry their line
    (``meta["line"]``, 1-based) and, for blank_inline_code, their character span."""

    def located(state: StateInline, silent: bool) -> bool:
        start, before = state.pos, len(state.tokens)
        matched = rule(state, silent)
        if not matched or silent:
            return matched
        source = state.env.get(_INLINE_KEY)
        if not isinstance(source, _InlineSource) or state.src is not source.text:
            return True  # an image's alt text, parsed on its own: not drawn as links
        for token in state.tokens[before:]:
            if token.type in ("link_open", "image", "code_inline") and "line" not in token.meta:
                token.meta["line"] = source.line_at(start)
                if token.type == "code_inline" and _SPANS_KEY in state.env:
                    state.env[_SPANS_KEY].append((start, state.pos))
        return True

    return located


def _parser() -> MarkdownIt:
    # inline_definitions: reference definitions become tokens with line numbers.
    md = MarkdownIt("commonmark", {"inline_definitions": True})
    md.core.ruler.at("inline", _inline_with_lines)
    for name, rule in (
        ("backticks", rules_inline.backtick),
        ("link", rules_inline.link),
        ("image", rules_inline.image),
        ("autolink", rules_inline.autolink),
    ):
        md.inline.ruler.at(name, _located(rule))
    md.parse("")  # compile the rule chains now, not racily on first use in two threads
    return md


_MD = _parser()


@dataclass(frozen=True)
class _Heading:
    level: int
    title: str
    line: int  # 1-based line of the heading
    body_start: int  # 0-based index of the first line after it (setext underline included)


@dataclass(frozen=True)
class _Document:
    lines: tuple[str, ...]  # split as the parser splits, over-long lines emptied
    long_lines: tuple[tuple[int, int], ...]
    headings: tuple[_Heading, ...]
    links: tuple[Link, ...]
    code_lines: frozenset[int]  # 0-based lines inside fenced or indented code


def _split_lines(text: str) -> list[str]:
    """Lines as CommonMark counts them: "\\n", "\\r\\n" and "\\r" end a line, nothing else."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


@lru_cache(maxsize=16)
def _read(text: str) -> _Document:
    """Parse once per text: a validation asks for headings and links several times."""
    raw = _split_lines(text)
    long = tuple((i + 1, len(line)) for i, line in enumerate(raw) if len(line) > MAX_LINE_CHARS)
    lines = tuple("" if len(line) > MAX_LINE_CHARS else line for line in raw)
    tokens = _MD.parse("\n".join(lines), {})
    headings: list[_Heading] = []
    links: list[Link] = []
    code: set[int] = set()
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            title = _plain_text(tokens[index + 1].children or [])
            headings.append(_Heading(int(token.tag[1]), title, token.map[0] + 1, token.map[1]))
        elif token.type == "definition" and token.map:
            if not str(token.meta.get("id", "")).startswith("^"):  # a footnote, not a link
                links.append(_link(str(token.meta["url"]), token.map[0] + 1))
        elif token.type in ("fence", "code_block") and token.map:
            code.update(range(token.map[0], token.map[1]))
        elif token.type == "inline":
            links.extend(_inline_links(token))
    return _Document(lines, long, tuple(headings), tuple(links), frozenset(code))


def _inline_links(inline: Token) -> list[Link]:
    """Links, autolinks and images drawn from one inline token (not inside image alt text)."""
    fallback = (inline.map[0] if inline.map else 0) + 1
    found: list[Link] = []
    for child in inline.children or []:
        target = None
        if child.type == "link_open":
            target = child.attrs.get("href")
        elif child.type == "image":
            target = child.attrs.get("src")
        if target is not None:
            found.append(_link(str(target), int(child.meta.get("line", fallback))))
    return found


def _link(href: str, line: int) -> Link:
    """A Link from a parsed href: the parser percent-encodes it; show it as written
    (``%25`` stays encoded, so `Link.path` decodes once, as before)."""
    return Link(_MD.normalizeLinkText(href), line)


def _plain_text(children: list[Token]) -> str:
    """What a reader sees of inline tokens: text and code, breaks as spaces, no markup."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


# --------------------------------------------------------------------------- public readers


def blank_inline_code(line: str) -> str:
    """The line with every code span replaced by spaces, as CommonMark reads it.

    Spans are the parser's own: an escaped backtick opens nothing, and a run closes only on a
    run of the same length. Code in an image's alt text is left as it is.
    """
    env: MutableMapping[str, Any] = {_SPANS_KEY: []}
    _MD.parseInline(line.replace("\r", "\n"), env)  # same length, nothing left to normalise
    chars = list(line)
    for start, end in env[_SPANS_KEY]:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) pairs outside fenced and indented code, with inline code
    blanked; over-long lines are left out (they are not read)."""
    document = _read(text)
    return [
        (index + 1, blank_inline_code(line))
        for index, line in enumerate(document.lines)
        if index not in document.code_lines and len(line) <= MAX_LINE_CHARS
    ]


def lines_and_code(text: str) -> tuple[tuple[str, ...], frozenset[int]]:
    """The lines as the parser splits them (over-long lines emptied) and the 0-based indexes
    of the lines inside fenced or indented code, fence lines included."""
    document = _read(text)
    return document.lines, document.code_lines


def headings(text: str) -> list[tuple[int, str, int]]:
    """(level, title, line number) for every ATX or setext heading outside code."""
    return [(h.level, h.title, h.line) for h in _read(text).headings]


def find_heading(text: str, pattern: re.Pattern[str]) -> str | None:
    """The first heading title matching ``pattern`` (searched case-insensitively)."""
    for _, title, _ in headings(text):
        if pattern.search(title):
            return title
    return None


def section_text(text: str, pattern: re.Pattern[str]) -> str:
    """Text of every section whose heading matches ``pattern``, up to the next heading of
    the same or a higher level. Empty when no heading matches; over-long lines are empty."""
    document = _read(text)
    lines, found = document.lines, document.headings
    chunks: list[str] = []
    for index, heading in enumerate(found):
        if not pattern.search(heading.title):
            continue
        end = len(lines)
        for later in found[index + 1 :]:
            if later.level <= heading.level:
                end = later.line - 1
                break
        chunks.append("\n".join(lines[heading.body_start : end]))
    return "\n".join(chunks)


def links(text: str) -> list[Link]:
    """Inline, reference-style and autolinks, images and reference definitions (not
    footnotes) outside code, in document order; a used definition appears at both lines."""
    return list(_read(text).links)


def long_lines(text: str) -> list[tuple[int, int]]:
    """(1-based line number, length) of every line longer than `MAX_LINE_CHARS`."""
    return list(_read(text).long_lines)


def scannable_text(text: str) -> str:
    """The text with over-long lines emptied, for modules that search it with patterns."""
    return "\n".join(_read(text).lines)


def line_count(text: str) -> int:
    """Lines of text, ignoring leading and trailing blank lines."""
    stripped = text.strip("\r\n")
    return len(stripped.splitlines()) if stripped else 0


def word_count(text: str) -> int:
    """Runs of non-whitespace (str.split: no pattern to scan a hostile line with)."""
    return len(text.split())


def estimate_tokens(text: str) -> int:
    """Rough token count: the larger of words x 1.3 and characters / 4.

    Two estimates because prose is word-bound and code is character-bound; taking the max
    keeps code-heavy bodies from slipping under the budget.
    """
    return math.ceil(max(word_count(text) * 1.3, len(text) / 4))
