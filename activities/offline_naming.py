"""How the offline author reads a task: the job's verb and object, a name, a category, a sentence.

Without a model it still has to plan like an expert: "Help an on-call engineer triage a
PagerDuty alert for high p99 latency ..." is the job *triage PagerDuty latency alerts*, for
an on-call engineer, in observability. So it finds the imperative phrase (dropping "create a
skill that", "help me", the audience), the verb and its object noun phrase; the name is verb +
object; the category comes from the tools and concepts named (`domain_vocabulary`). English
forms (third person, lemmas, plurals) come from `lemminflect`, never from suffix rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import lemminflect

from activities.domain_vocabulary import (
    CATEGORIES,
    FALLBACK_CATEGORY,
    ROLES,
    TOOLS,
    term_weights,
)
from skill_format.rules import NAME_MAX, RESERVED_WORDS, name_issues

# Words, keeping inner hyphens, dots and apostrophes ("on-call", "node.js", "c++", "p99"),
# and the punctuation that ends a phrase.
TOKEN = re.compile(r"[^\W_]+(?:[-.'][^\W_]+)*(?:\+\+|#)?|[,;:()!?.]")
PUNCT = frozenset(",;:()!?.")
PREPOSITIONS = frozenset(
    """for from in into on of with by to using via at about across over under between through
    as per against within without after before during while like than so""".split()
)
CLAUSE_WORDS = frozenset("and or but that which who whose where when then if so".split())
DETERMINERS = frozenset(
    """a an the this that these those my our your their his her its each every any some all
    no one another""".split()
)
PRONOUNS = frozenset("me us you them him her myself ourselves".split())
PARTICLES = frozenset("in up out down off".split())
FUNCTION_WORDS = PREPOSITIONS | CLAUSE_WORDS | DETERMINERS | PRONOUNS | PARTICLES
# Words that never name a skill's object.
FILLER = DETERMINERS | frozenset(
    """please stuff things thing something anything misc general new kind sort lot lots way
    ways very really just also skill skills agent""".split()
)
# Concept words found in a prepositional phrase may join a short object ("alert for high
# latency" -> "latency alerts") only when they name a domain, so "for readability" does not.
ENRICHING_PREPOSITIONS = frozenset("for about on with".split())
# Preambles that only say "make me a skill": removed before the job's own words.
PREAMBLES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\s*(please\s+)?",
        r"^(can|could|would)\s+you\s+(please\s+)?",
        r"^(i|we)\s+(want|need|would\s+like|'d\s+like)\s+(to\s+have\s+)?(a|an)\s+",
        r"^(i|we)\s+(want|need|would\s+like)\s+to\s+",
        r"^(create|build|make|write|generate|design|give\s+me)\s+(me\s+)?(a|an)\s+(new\s+)?"
        r"(agent\s+)?skill\s+((named|called)\s+\S+\s+)?(that|which|to|for|so\s+that\s+it)\s+",
        r"^((a|an)\s+)?(new\s+)?(agent\s+)?skill\s+((named|called)\s+\S+\s+)?"
        r"(that|which|to|for)\s+",
    )
)


@dataclass(frozen=True)
class Phrase:
    """The job as an imperative phrase: `verb` is a lemma ("" when the task has none)."""

    verb: str
    rest: str
    audience: str = ""
    object_words: list[str] = field(default_factory=list)

    @property
    def imperative(self) -> str:
        """'review Python pull requests', or 'help with X' when the task names no verb."""
        if not self.verb:
            return f"help with {self.rest}".strip()
        return f"{self.verb} {self.rest}".strip()


@dataclass(frozen=True)
class Naming:
    """What the author plans from the task's words."""

    phrase: Phrase
    skill_name: str
    category: str
    topics: list[str]
    description: str
    subject: str  # what the skill works on, in a few words: "PagerDuty latency alerts"


def spans(text: str) -> list[tuple[str, int]]:
    """Words and phrase-ending punctuation with where each ends; a possessive "'s" is dropped."""
    out: list[tuple[str, int]] = []
    for match in TOKEN.finditer(text):
        tok = match.group(0)
        if tok.lower().endswith("'s"):
            tok = tok[:-2]
        tok = tok.rstrip("'")
        if tok:
            out.append((tok, match.end()))
    return out


def tokens(text: str) -> list[str]:
    return [tok for tok, _ in spans(unicodedata.normalize("NFKC", text))]


@lru_cache(maxsize=4096)
def lemma(word: str) -> str:
    """A word's dictionary form for matching ("dashboards" -> "dashboard"); unknown words stay."""
    lower = word.lower()
    lemmas = lemminflect.getAllLemmas(lower)
    for upos in ("NOUN", "VERB", "ADJ"):
        if upos in lemmas:
            return str(lemmas[upos][0])
    return lower


@lru_cache(maxsize=1)
def _terms() -> dict[tuple[str, ...], tuple[str, int]]:
    return {tuple(lemma(w) for w in term): v for term, v in term_weights().items()}


@lru_cache(maxsize=1)
def _tool_words() -> frozenset[str]:
    return frozenset(t for terms in TOOLS.values() for t in terms if " " not in t)


def _is_acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


# "Code review for ...", "Log analysis of ...": a noun that can be a verb, then an action noun,
# then a preposition or the end, is a compound noun, not an imperative ("Codes review" read
# wrong). Verbs people start a request with stay verbs ("Plan migration for ...").
ACTION_NOUN_ENDINGS = ("ion", "sis", "ment", "ance", "ence", "ing")
ACTION_NOUNS = frozenset("review audit design cleanup setup triage rollout report".split())
IMPERATIVES = frozenset(
    """write create build generate make add plan draft fix run set use find convert migrate
    deploy manage prepare improve optimize automate monitor schedule track handle configure
    implement refactor debug review check update validate format summarize translate
    extract document analyze clean do help""".split()
)
# Nouns the dictionary only knows as verbs.
VERB_ONLY_NOUNS = frozenset("log".split()
)


def is_compound_noun(words: list[str], start: int) -> bool:
    """True if the words at `start` open with a noun compound like "code review for"."""
    first, second, after = _at(words, start), _at(words, start + 1), _at(words, start + 2)
    lower = second.lower()
    if (first.lower() in IMPERATIVES or not second.isalpha()
            or not (lower in ACTION_NOUNS or lower.endswith(ACTION_NOUN_ENDINGS))):
        return False
    if after and after not in PUNCT and after.lower() not in PREPOSITIONS:
        return False
    return (first.lower() in VERB_ONLY_NOUNS
            or "NOUN" in lemminflect.getAllLemmas(first.lower()))


def verb_lemma(word: str, following: str = "") -> str:
    """The base form if `word` can be a verb ("reviews" -> "review", "does" -> "do"), else ""."""
    lower = word.lower()
    if (not lower.isascii() or not lower.isalpha() or lower in _tool_words()
            or lower in FUNCTION_WORDS or _is_acronym(word)):
        return ""
    lemmas = lemminflect.getAllLemmas(lower)
    if lemmas:
        found = lemmas.get("VERB") or lemmas.get("AUX")
        return str(found[0]) if found else ""
    # Not in the dictionary: a verb if it is inflected like one ("refactors") or takes an
    # object the way verbs do ("dockerize a Flask app"); otherwise a name ("kubectl").
    base = str(lemminflect.getAllLemmasOOV(lower, upos="VERB")["VERB"][0])
    if len(lower) > 2 and (base != lower or following.lower() in DETERMINERS | PRONOUNS):
        return base
    return ""


def third_person(verb: str) -> str:
    """'review' -> 'reviews', 'do' -> 'does', 'fix' -> 'fixes' (lemminflect, VBZ)."""
    forms = lemminflect.getInflection(verb, tag="VBZ", inflect_oov=True)
    return str(forms[0]) if forms else verb


def plural(noun: str) -> str:
    """'alert' -> 'alerts'; a word the dictionary does not know as a singular noun stays."""
    lemmas = lemminflect.getAllLemmas(noun)
    if "NOUN" not in lemmas or lemmas["NOUN"][0] != noun:
        return noun
    forms = lemminflect.getInflection(noun, tag="NNS")
    return str(forms[0]) if forms else noun


def strip_preamble(task: str) -> str:
    text = task.strip().rstrip(".!?").strip()
    for pattern in PREAMBLES:
        text = pattern.sub("", text, count=1)
    return text


def _after_audience(words: list[str]) -> tuple[str, int]:
    """After "help": skip "me"/"us", or take "an on-call engineer" as the audience.

    Returns the audience and how many words it (and a following "to") takes."""
    if not words:
        return "", 0
    if words[0].lower() in PRONOUNS:
        return "", 2 if words[1:2] and words[1].lower() == "to" else 1
    for i, word in enumerate(words[:5]):
        if word in PUNCT or word.lower() in PREPOSITIONS:
            break
        if word.lower() in ROLES:
            used = i + 2 if words[i + 1:i + 2] and words[i + 1].lower() == "to" else i + 1
            if used < len(words) and verb_lemma(words[used], _at(words, used + 1)):
                return " ".join(words[: i + 1]), used
            break
    return "", 1 if words[0].lower() == "to" else 0


def parse(task: str) -> Phrase:
    """The task's job: its verb (a lemma), what follows it, and whom it serves."""
    text = unicodedata.normalize("NFKC", strip_preamble(task))
    found = spans(text)
    words = [w for w, _ in found]
    start, audience = 0, ""
    if words and verb_lemma(words[0], _at(words, 1)) == "help":
        if words[1:2] and words[1].lower() == "with":
            return _phrase("", text[found[1][1]:].strip(), "")
        audience, used = _after_audience(words[1:])
        start = 1 + used
        if start < len(words) and words[start].lower() == "with":  # "help me with X"
            return _phrase("", text[found[start][1]:].strip(), audience)
    if start >= len(words):
        return _phrase("", "", audience)
    verb = verb_lemma(words[start], _at(words, start + 1))
    if not verb or is_compound_noun(words, start):
        rest = text[found[start - 1][1]:].strip() if start else _uncapitalized(text)
        return _phrase("", rest, audience)
    # The original wording after the verb, with its casing and punctuation.
    return _phrase(verb, text[found[start][1]:].strip(), audience)


def _uncapitalized(text: str) -> str:
    """'Code review for Go' -> 'code review for Go': the capital only opened the sentence,
    and the text goes mid-sentence ("Helps with ..."). Names and acronyms keep theirs."""
    first = text.split(" ", 1)[0]
    lower = first.lower()
    if (len(first) < 2 or not first.isalpha() or not first[0].isupper() or not first[1:].islower()
            or lower in _tool_words() or not lemminflect.getAllLemmas(lower)):
        return text
    return lower + text[len(first):]


def _at(words: list[str], i: int) -> str:
    return words[i] if i < len(words) else ""


def _phrase(verb: str, rest: str, audience: str) -> Phrase:
    rest = rest or ("" if verb else "the task")
    return Phrase(verb=verb, rest=rest, audience=audience, object_words=_object(verb, rest))


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in FILLER | FUNCTION_WORDS
            and not w.isdigit() and len(w) > 1]


def _object(verb: str, rest: str) -> list[str]:
    """The object noun phrase as name words: 'a PagerDuty alert for high p99 latency' ->
    ['PagerDuty', 'latency', 'alerts']."""
    words = tokens(rest)
    if not verb:
        return _content([w for w in words if w not in PUNCT and w.lower() not in PREPOSITIONS
                         and w.lower() not in CLAUSE_WORDS])[:4]
    # "set up", "fill in": the particle belongs to the verb, so the name keeps it.
    particle = [words[0].lower()] if words[:1] and words[0].lower() in PARTICLES else []
    words = words[len(particle):]
    indefinite = bool(words[:1]) and words[0].lower() in {"a", "an"}
    head: list[str] = []
    i = 0
    while i < len(words) and not _boundary(words[i]):
        head.append(words[i])
        i += 1
    noun_phrase = _content(head)
    after: list[str] = []
    preposition = words[i].lower() if i < len(words) else ""
    for w in words[i + 1:]:
        if _boundary(w):
            break
        after.append(w)
    extra = _content(after)
    if not noun_phrase:
        return particle + _content([w for w in words if not _boundary(w)])[:3]
    if len(noun_phrase) == 1 and preposition in ENRICHING_PREPOSITIONS | {"of", "in", "from"}:
        return particle + noun_phrase + extra[:2]
    if len(noun_phrase) == 2 and preposition in ENRICHING_PREPOSITIONS and extra:
        if lemma(extra[-1]) in {t[0] for t in _terms() if len(t) == 1}:
            noun_phrase = [noun_phrase[0], extra[-1], noun_phrase[1]]
    if indefinite and len(noun_phrase) >= 2:
        noun_phrase[-1] = plural(noun_phrase[-1].lower())
    return particle + noun_phrase[-4:]


def _boundary(word: str) -> bool:
    lower = word.lower()
    return word in PUNCT or lower in PREPOSITIONS or lower in CLAUSE_WORDS


def _slug(word: str) -> str:
    special = {"c++": "cpp", "c#": "csharp", ".net": "dotnet"}
    lower = special.get(word.lower(), word.lower())
    ascii_word = unicodedata.normalize("NFKD", lower).encode("ascii", "ignore").decode()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "", ascii_word)).strip("-")


def skill_name(phrase: Phrase, fallback: list[str]) -> str:
    """Verb + object in kebab-case, at most `NAME_MAX` characters, with no reserved word."""
    parts = [phrase.verb] if phrase.verb else []
    parts += phrase.object_words or fallback
    slugs = [s for s in (_slug(p) for p in parts)
             if s and not any(r in s for r in RESERVED_WORDS)]
    slugs = list(dict.fromkeys(slugs))
    while len(slugs) > 2 and len("-".join(slugs)) > NAME_MAX:
        del slugs[1]
    name = "-".join(slugs)[:NAME_MAX].strip("-")
    if not name or name_issues(name) or (len(slugs) < 2 and phrase.verb == name):
        # Too little to go on: pad with the task's other words, then a neutral noun.
        extra = [_slug(w) for w in fallback if _slug(w) and _slug(w) not in slugs]
        padded = (slugs + extra)[:4] or ["task"]
        name = "-".join([*padded, "workflow"] if len(padded) < 2 else padded)
        name = name[:NAME_MAX].strip("-")
    return name if not name_issues(name) else "task-workflow"


def category(text: str, object_words: Sequence[str] = ()) -> str:
    """The category whose tools and concepts the text names most; the object counts twice."""
    words = [lemma(w) for w in tokens(text) if w not in PUNCT]
    focus = {lemma(w) for w in object_words}
    terms = _terms()
    longest = max(len(t) for t in terms)
    scores: dict[str, int] = {}
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            found = terms.get(tuple(words[i:i + size]))
            if found:
                name, weight = found
                if any(w in focus for w in words[i:i + size]):
                    weight *= 2
                scores[name] = scores.get(name, 0) + weight
                i += size
                break
        else:
            i += 1
    order = list(CATEGORIES)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    return ranked[0][0] if ranked else FALLBACK_CATEGORY


def topics(text: str, phrase: Phrase) -> list[str]:
    """What the skill is about, in the task's own spelling: its object, tools, then concepts."""
    weights = {t[0]: w for t, (_, w) in _terms().items() if len(t) == 1}
    named = [w for w in tokens(text) if lemma(w) in weights and lemma(w) != phrase.verb]
    ordered = [w for w in phrase.object_words if w.lower() not in PARTICLES]
    ordered += sorted(named, key=lambda w: -weights[lemma(w)])  # stable: tools first
    seen: dict[str, str] = {}
    for word in ordered:
        seen.setdefault(lemma(word), word)
    return list(seen.values())[:5]


def describe(phrase: Phrase, keywords: list[str], extra: str = "") -> str:
    """'Reviews Python pull requests. Use when the user asks to review ..., or mentions ...'"""
    request = phrase.imperative + (f" ({extra})" if extra else "")
    if phrase.audience:
        first = f"Helps {phrase.audience} {request}"
    elif phrase.verb:
        first = f"{third_person(phrase.verb).capitalize()} {phrase.rest}".strip()
        first += f" ({extra})" if extra else ""
    else:
        first = f"Helps with {phrase.rest}"
    mentions = f", or mentions {', '.join(keywords)}" if keywords else ""
    text = f"{first}. Use when the user asks to {request}{mentions}."
    # The format refuses '<', '>' and '---' in a description; the task's own words may have them.
    text = re.sub(r"-{3,}", "-", re.sub(r"[<>]", "", " ".join(text.split())))
    return text[:1024]


def plan_naming(task: str, *, extra: str = "", context: str = "") -> Naming:
    """Everything the author derives from the task's words; `context` only informs the category."""
    phrase = parse(task)
    keywords = topics(task, phrase)
    fallback = [w for w in _content([t for t in tokens(task) if not _boundary(t)])
                if not verb_lemma(w) or w.lower() in _tool_words()]
    keywords = keywords or fallback[:4] or ["task", "workflow"]
    obj = [w for w in phrase.object_words if w.lower() not in PARTICLES]
    return Naming(
        phrase=phrase,
        skill_name=skill_name(phrase, fallback),
        category=category(f"{task} {context}", phrase.object_words),
        topics=keywords,
        description=describe(phrase, keywords, extra),
        subject=" ".join(obj or keywords[:2]),
    )
