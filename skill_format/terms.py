"""Which words of a skill say something about its task, against a background of English.

A step such as "Work through the task in small, verifiable steps" reads well and says nothing:
put it under another skill and it still fits. What makes a line specific is what a reader could
not have guessed from everyday English or from the skill's own name and description:

- *concrete tokens*: code spans, flags (``--out``), paths and file names (``plan.json``,
  ``*.tf``), identifiers (``snake_case``, ``CamelCase``, ``gRPC``), acronyms (``WCAG``),
  letters mixed with digits (``p99``, ``utf-8``) and numbers of three or more digits (``429``);
- *uncommon words*: words rarer than `UNCOMMON_ZIPF` on the Zipf scale of `wordfreq`'s
  English background (``rollback`` 2.7, ``latency`` 3.3, ``logs`` 3.8; ``check`` 5.3).
  Also times of day (``14:10``) and percentages (``2%``) count as concrete.

The skill's *own* words (its name's and description's keywords) are the subject a template can
fill in without knowing anything, so a term is *new* only outside them: a body that restates
its description names no new term. No list of anyone's phrases is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .triggers import keywords, stem

UNCOMMON_ZIPF = 4.0  # words rarer than this in English are domain words
MIN_WORD_LENGTH = 4

_TOKEN = re.compile(r"\S+")
_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")
_LINK_TARGET = re.compile(r"\]\([^)\n]{0,300}\)")
_EDGE = "()[]{}\"',.;:!?*_~|`<>\u201c\u201d\u2018\u2019#"
_FLAG = re.compile(r"--?[A-Za-z][\w-]*(=\S*)?")
_FILE = re.compile(r"[\w/*~.-]*\w\.[A-Za-z][A-Za-z0-9]{0,7}")
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,9}s?")
_ALPHA_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_NOT_FILES = frozenset({"e.g", "i.e", "etc", "vs", "a.m", "p.m"})
# Placeholders stand where a real value should be: <your-file>, {{name}}, path/to/x, foo.
_PLACEHOLDER = re.compile(
    r"<[A-Za-z][\w .-]{0,40}>|\{\{[^}\n]{0,40}\}\}|\bpath/to/|\byour[-_ ]\w+[-_ ]here\b|"
    r"\b(foo|bar|baz|lorem|ipsum|xxx+|todo|tbd)\b|\.\.\.|\u2026",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Term:
    """A specific word or token: normalized ``key``, the ``text`` as written, and whether it
    is a concrete token (command, path, identifier) rather than an uncommon word."""

    key: str
    text: str
    concrete: bool


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """The word's English Zipf frequency (cached: one lookup per word per process)."""
    from wordfreq import zipf_frequency  # loaded on first use (~0.5 s), not at import

    return float(zipf_frequency(word, "en"))


def is_common(word: str) -> bool:
    """True for everyday English words ("check", "result", "material")."""
    return zipf(word.lower()) >= UNCOMMON_ZIPF


def own_stems(name: str | None, description: str | None) -> frozenset[str]:
    """Stems of the name's and the description's keywords: what a template can fill in."""
    words = set(keywords(description or ""))
    words |= {stem(part) for part in (name or "").lower().split("-") if part}
    words |= {t.key for t in prose_terms(description or "") if t.concrete}
    return frozenset(words)


def placeholders(text: str) -> list[str]:
    """Placeholder tokens in ``text`` (``<your-file>``, ``{{x}}``, ``foo``, ``...``)."""
    return [m.group(0) for m in _PLACEHOLDER.finditer(text)]


def _concrete(token: str) -> bool:
    if "://" in token or "_" in token.strip("_") or "()" in token or "::" in token:
        return True
    if "/" in token.strip("/") and re.search(r"[A-Za-z]{2}", token):
        return True
    if _FLAG.fullmatch(token) or ("=" in token.strip("=") and re.search(r"[A-Za-z]", token)):
        return True
    if _FILE.fullmatch(token) and token.lower() not in _NOT_FILES and not token[0].isdigit():
        return True
    letters = sum(c.isalpha() for c in token)
    if letters >= 2 and any(c.isupper() for c in token[1:]) and any(c.islower() for c in token):
        return True  # CamelCase, gRPC, PagerDuty
    if _ACRONYM.fullmatch(token) and not is_common(token):
        return True
    digits = sum(c.isdigit() for c in token)
    if digits and letters:
        return True  # p99, utf-8, http2, 500ms
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?|\d+(\.\d+)?%", token):
        return True  # a time of day, a percentage
    return digits >= 3 and token.strip("0123456789,.") == ""


def _token_term(raw: str) -> Term | None:
    token = raw.strip(_EDGE)
    if not token or _PLACEHOLDER.fullmatch(raw.strip(".,;:")):
        return None
    if _concrete(token):
        return Term(token.lower()[:60], token[:60], concrete=True)
    lower = token.lower()
    if _ALPHA_WORD.fullmatch(lower) and len(lower) >= MIN_WORD_LENGTH:
        parts = lower.split("-")
        if all(is_common(p) for p in parts) and (len(parts) == 1 or is_common(lower)):
            return None
        return Term(stem(lower), token, concrete=False)
    return None


def prose_terms(line: str) -> list[Term]:
    """Specific terms of one prose line: code spans whole, then the remaining words (link
    targets and placeholders are not terms)."""
    found: list[Term] = []
    for span in _CODE_SPAN.findall(line):
        if span.strip() and not _PLACEHOLDER.fullmatch(span.strip()):
            found.append(Term(span.strip().lower()[:60], span.strip()[:60], concrete=True))
    rest = _LINK_TARGET.sub("]", _CODE_SPAN.sub(" ", line))
    for raw in _TOKEN.findall(rest):
        term = _token_term(raw)
        if term:
            found.append(term)
    return found


def code_terms(line: str) -> list[Term]:
    """Specific terms of a line of code: every concrete or uncommon token."""
    found: list[Term] = []
    for raw in re.split(r"[\s;,()\[\]{}\"']+", line):
        term = _token_term(raw)
        if term:
            found.append(term)
    return found


def is_own(term: Term, own: frozenset[str]) -> bool:
    """True when the term only repeats the skill's name or description."""
    if not term.concrete or term.key in own:
        return term.key in own
    words = re.findall(r"[a-z0-9]+", term.key)
    return bool(words) and all(stem(w) in own for w in words)
