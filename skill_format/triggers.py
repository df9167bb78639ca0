"""A deterministic, lexical model of whether a request would trigger a skill.

An agent picks a skill from its description alone, so a description that shares no
distinctive words with the requests it should serve will not be picked, and one that claims
a whole subject ("Anything about Terraform.") is picked for every job on it. This module
approximates that choice without a model, so the same inputs always give the same verdict:

1. Normalise: NFKC + casefold, split into letter/digit words; a few names agents read as
   one are written one way (`ALIASES`: "k8s" is "kubernetes", "PR" is "pull request").
2. Drop stopwords: English function words, request filler ("please", "help me") and
   description boilerplate ("use when the user asks").
3. Stem lightly: plural ``-s``/``-ies``, ``-ing``/``-ed`` and a final ``-e``, so "converts",
   "converting" and "convert" meet, and "files"/"file" meet; in matching, stems of one word
   family meet too ("replaces"/"replacements", "classifier"/"classification", `_related`).
4. Weigh by specificity against everyday English (`zipf`, from wordfreq): generic task
   words ("convert", "file", "create"...) and words as common as "state" weigh 0.5, others
   more the rarer they are, up to 2.0 ("terraform", "deserialization").

A request sharing no non-generic keyword does not trigger. Its most specific shared keyword
is the *subject* ("terraform"); a neighbouring job shares it by construction ("write a
Terraform module" against a plan-review skill), so the subject alone is not enough: the
request triggers when it asks nothing beyond the subject, when the description claims nothing
beyond it (an over-broad description), or when the description covers at least half of the
weight of the request's other keywords, one of them non-generic (the job: "plan", "apply").
Known limits: no synonyms beyond `ALIASES` ("spreadsheet" does not meet "xlsx"), no negation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .models import TriggerCase

GENERIC_WEIGHT = 0.5
MAX_WEIGHT = 2.0
SPECIFIC_ZIPF = 4.5  # a word this common weighs 1.0; each Zipf point rarer adds 0.5
MIN_COVERAGE = 0.5
FAMILY_PREFIX = 6

# Names an agent reads as one; each is matched as what it stands for.
ALIASES: dict[str, str] = {
    "k8s": "kubernetes", "postgres": "postgresql", "psql": "postgresql", "tf": "terraform",
    "js": "javascript", "ts": "typescript", "py": "python", "golang": "go",
    "pr": "pull request", "prs": "pull requests", "mr": "merge request",
    "mrs": "merge requests", "repo": "repository", "repos": "repositories",
    "db": "database", "dbs": "databases", "a11y": "accessibility", "xlsx": "excel",
}

_WORD = re.compile(r"[^\W_]+")

_STOPWORDS_RAW = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can cannot could did do does doing done down during each few
for from further get gets got had has have having he her here hers him his how i if in into is
it its itself just let lets like me more most my myself no nor not now of off on once only or
other our ours out over own same she should so some such than that the their theirs them then
there these they this those through to too under until up very was we were what when whenever
where which while who whom why will with would you your yours yourself
please want wants wanted need needs needed help helps helping hi hello thanks thank could
someone something anything way ways really quick quickly simple simply
tip tips advice idea ideas start begin paste pasted attached
use used uses using user users ask asks asked asking request requests requested mention
mentions mentioned skill skills trigger triggers agent task tasks
"""
_GENERIC_RAW = """
convert create make build write read fix check update change add remove delete file files
document documents text code data tool tools project run find show list work new set output
input format content thing things item items process handle manage generate review edit
"""


def stem(word: str) -> str:
    """Light suffix stripping; the same word always maps to the same stem."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


_STOPWORDS = frozenset(_STOPWORDS_RAW.split())
_STOP_STEMS = frozenset(stem(w) for w in _STOPWORDS)
_GENERIC_STEMS = frozenset(stem(w) for w in _GENERIC_RAW.split())


def keywords(text: str) -> set[str]:
    """The stemmed, stopword-free keywords of a text."""
    return set(_surfaces(text, aliases=False))


def _surfaces(text: str, *, aliases: bool = True) -> dict[str, str]:
    """Each keyword's stem with the word it was first written as (for its frequency)."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    found: dict[str, str] = {}
    for raw in _WORD.findall(normalized):
        for word in (ALIASES.get(raw, raw).split() if aliases else (raw,)):
            if word in _STOPWORDS or len(word) < 2:
                continue
            stemmed = stem(word)
            if stemmed not in _STOP_STEMS:
                found.setdefault(stemmed, word)
    return found


def _weight(keyword: str, word: str) -> float:
    """0.5 for generic words and words as common as "state" (Zipf 5.5+), 1.0 at Zipf 4.5
    ("module"), up to `MAX_WEIGHT` at 2.5 and rarer ("terraform")."""
    if keyword in _GENERIC_STEMS:
        return GENERIC_WEIGHT
    return min(max(1.0 + (SPECIFIC_ZIPF - zipf(word)) / 2, GENERIC_WEIGHT), MAX_WEIGHT)


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """The word's English Zipf frequency from `wordfreq` (loaded on first use, ~0.5 s)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def _weights(text: str) -> dict[str, float]:
    return {k: _weight(k, word) for k, word in _surfaces(text).items()}


def _related(a: str, b: str) -> bool:
    """Same stem, or one word family ("replac"/"replacement", "classifier"/"classification"):
    a shared start of at least `FAMILY_PREFIX` letters, all but two of the shorter stem."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < FAMILY_PREFIX:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(FAMILY_PREFIX, shorter - 2)


def _meets(keyword: str, offered: Mapping[str, object]) -> bool:
    return keyword in offered or any(_related(keyword, other) for other in offered)


def trigger_score(description: str, request: str) -> float:
    """Share of the request's keyword weight found in the description (0..1)."""
    wanted = _weights(request)
    if not wanted:
        return 0.0
    offered = _surfaces(description)
    return sum(w for k, w in wanted.items() if _meets(k, offered)) / sum(wanted.values())


def would_trigger(description: str, request: str) -> bool:
    """True if the description covers the request's job, not only its subject (see above)."""
    wanted = _weights(request)
    offered = _weights(description)
    shared = [k for k in wanted if _meets(k, offered) and wanted[k] > GENERIC_WEIGHT]
    if not shared:
        return False
    subject = max(shared, key=lambda k: (wanted[k], k))
    rest = {k: w for k, w in wanted.items() if k != subject}
    if all(w <= GENERIC_WEIGHT for w in rest.values()):
        return True  # the request asks nothing beyond the subject
    if all(w <= GENERIC_WEIGHT for k, w in offered.items() if not _related(k, subject)):
        return True  # the description claims the whole subject, whatever the job
    covered = [k for k in rest if _meets(k, offered)]
    if all(rest[k] <= GENERIC_WEIGHT for k in covered):
        return False
    return sum(rest[k] for k in covered) / sum(rest.values()) >= MIN_COVERAGE


def trigger_cases(
    description: str, example_requests: Iterable[str], near_misses: Iterable[str]
) -> list[TriggerCase]:
    """Evaluate requests that should trigger the skill and near-misses that should not."""
    cases = [
        TriggerCase(request=r, should_trigger=True, triggered=would_trigger(description, r))
        for r in example_requests
    ]
    cases += [
        TriggerCase(request=r, should_trigger=False, triggered=would_trigger(description, r))
        for r in near_misses
    ]
    return cases
