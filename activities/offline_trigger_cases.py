"""Trigger cases the offline author did not write its description from.

A description tested only with the phrase it was built from always passes. So the cases come
from elsewhere:

- *paraphrases* are what a user would type for the same job, in other words and another
  order: a synonym of the job's verb (`VERB_SYNONYMS`), the shorthand people use for a tool
  ("k8s", "PRs"), the object without the verb, "how do I ...";
- *near misses* are neighbouring jobs (`NEIGHBOUR_JOBS`): the task's own tool or subject with a
  different verb and object ("Write a Terraform module ..." next to reviewing Terraform plans),
  never off-topic strings. A neighbour that repeats any of the task's other words is skipped,
  so it asks for a different job, not the same one in other words.

Both are built from the task and the plan's naming, not from the description's text.
"""

from __future__ import annotations

from activities.domain_vocabulary import FALLBACK_CATEGORY, NEIGHBOUR_JOBS, TOOLS, VERB_SYNONYMS
from activities.offline_naming import PARTICLES, Naming
from skill_format.triggers import keywords

NEAR_MISSES = 3
# What users type for a tool or object (each maps back through `skill_format.triggers.ALIASES`).
SHORTHAND: dict[str, str] = {
    "kubernetes": "k8s",
    "postgresql": "Postgres",
    "pull requests": "PRs",
    "pull request": "PR",
    "repository": "repo",
    "database": "DB",
    "accessibility": "a11y",
}
_TOOL_WORDS = frozenset(t for terms in TOOLS.values() for t in terms)


def _shorthand(text: str) -> str:
    """The same words as a user would abbreviate them ("Kubernetes pods" -> "k8s pods")."""
    lower = text.lower()
    for full, short in SHORTHAND.items():
        at = lower.find(full)
        if at >= 0:
            return text[:at] + short + text[at + len(full):]
    return text


def _tools(naming: Naming) -> list[str]:
    return [t for t in naming.topics if t.lower() in _TOOL_WORDS]


def _object(naming: Naming) -> str:
    """The job's object without its tool names: 'Terraform plans' -> 'plans'."""
    tools = {t.lower() for t in _tools(naming)}
    words = [w for w in naming.phrase.object_words if w.lower() not in PARTICLES]
    kept = [w for w in words if w.lower() not in tools]
    return " ".join(kept or words or naming.topics[:2]) or naming.subject


def example_requests(naming: Naming) -> list[str]:
    """Four requests a user would type for this job, none of them the description's phrase."""
    tools = _tools(naming)
    tool = tools[0] if tools else ""
    obj = _object(naming)
    verb = VERB_SYNONYMS.get(naming.phrase.verb, "deal with")
    with_tool = f"{_shorthand(tool)} {obj}".strip() if tool else _shorthand(obj)
    where = f"{obj} in {tool}" if tool else obj
    requests = [
        f"How do I {verb} {with_tool}?",
        f"{where[:1].upper()}{where[1:]}: where do I start?",
        f"Any tips to {verb} {obj}{f' with {tool}' if tool else ''}?",
        f"Could you {verb} the {with_tool} I just pasted?",
    ]
    return list(dict.fromkeys(" ".join(r.split()) for r in requests))


def near_misses(naming: Naming, task: str) -> list[str]:
    """Neighbouring jobs on the task's tool or subject that ask for something else."""
    tools = _tools(naming)
    # The tool, else the object's head noun: every other shared word would make it the job.
    slot = tools[0] if tools else (_object(naming).split() or [naming.subject])[-1]
    slot_keys = keywords(slot)
    taken = (keywords(task) | keywords(" ".join(naming.topics))) - slot_keys
    jobs = NEIGHBOUR_JOBS.get(naming.category, ()) if tools else NEIGHBOUR_JOBS["subject"]
    candidates = [*jobs, *NEIGHBOUR_JOBS[FALLBACK_CATEGORY]]
    chosen: list[str] = []
    for template in candidates:
        request = template.format(tool=slot) + "."
        if not (keywords(request) - slot_keys) & taken and request not in chosen:
            chosen.append(request)
        if len(chosen) == NEAR_MISSES:
            break
    return chosen
