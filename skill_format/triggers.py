"""A deterministic, lexical model of whether a request would trigger a skill.

An agent picks a skill from its description alone, so a description that shares no
distinctive words with the requests it should serve will not be picked. This module
approximates that choice without a model, so the same inputs always give the same verdict:

1. Normalise: NFKC + casefold, split into letter/digit words.
2. Drop stopwords: English function words, request filler ("please", "help me") and
   description boilerplate ("use when the user asks").
3. Stem lightly: plural ``-s``/``-ies``, ``-ing``/``-ed`` and a final ``-e``, so "converts",
   "converting" and "convert" meet, and "files"/"file" meet.
4. Score the request's keywords against the description's: generic task words ("convert",
   "file", "create"...) weigh 0.5, every other keyword 1.0.

A request triggers when it shares at least one non-generic keyword with the description and
the shared weight is at least 2.0 or covers at least half of the request's keyword weight.
Known limits: no synonyms ("spreadsheet" does not meet "xlsx") and no negation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from workflows.models import TriggerCase

GENERIC_WEIGHT = 0.5
MIN_SHARED_WEIGHT = 2.0
MIN_COVERAGE = 0.5

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
    normalized = unicodedata.normalize("NFKC", text).casefold()
    found: set[str] = set()
    for word in _WORD.findall(normalized):
        if word in _STOPWORDS or len(word) < 2:
            continue
        stemmed = stem(word)
        if stemmed not in _STOP_STEMS:
            found.add(stemmed)
    return found


def _weight(keyword: str) -> float:
    return GENERIC_WEIGHT if keyword in _GENERIC_STEMS else 1.0


def trigger_score(description: str, request: str) -> float:
    """Share of the request's keyword weight found in the description (0..1)."""
    wanted = keywords(request)
    if not wanted:
        return 0.0
    shared = wanted & keywords(description)
    return sum(_weight(k) for k in shared) / sum(_weight(k) for k in wanted)


def would_trigger(description: str, request: str) -> bool:
    """True if the request shares enough distinctive keywords with the description."""
    wanted = keywords(request)
    shared = wanted & keywords(description)
    if not any(_weight(k) == 1.0 for k in shared):
        return False
    shared_weight = sum(_weight(k) for k in shared)
    total = sum(_weight(k) for k in wanted)
    return shared_weight >= MIN_SHARED_WEIGHT or shared_weight / total >= MIN_COVERAGE


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
