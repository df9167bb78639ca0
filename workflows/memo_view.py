"""The job's view in the memo, split so that a change writes only what changed.

The memo key `job` holds the small part that changes often and that job lists and the inbox
read (status, phase, progress, counts, ids, the pending prompt without its schema and
payload). Each bulky part (the options, the plan, the validation report, the prompt's schema
and payload, ...) has a key of its own and is written only when it changes, so a job's
history no longer repeats the whole view on every step. `join_view` puts the parts back
together into a `JobView` dict; a memo from before the split (the whole view under `job`)
reads as it is. Pure functions: the workflow and the API use the same ones.
"""

from __future__ import annotations

from typing import Any

from workflows.names import MEMO_VIEW

# JobView field -> its own memo key. An empty value is no key at all (the model's default).
PARTS: dict[str, str] = {
    "options": "job.options",
    "understanding": "job.plan",
    "validation": "job.validation",
    "clarifications": "job.clarifications",
    "versions": "job.versions",
    "last_diff": "job.last_diff",
    "result": "job.result",
    "refine_rounds": "job.refine_rounds",
    "token_usage": "job.token_usage",
}
# The pending prompt's `answer_schema` and `data`; the rest of the prompt is in `job`.
PROMPT_DETAIL = "job.prompt"
PROMPT_DETAIL_FIELDS = ("answer_schema", "data")
# Derived from the prompt: not stored.
DERIVED = frozenset({"hitl_data"})
PART_KEYS = frozenset(PARTS.values())
# How the prompt's payload points at a part that holds the same value.
REF = "$part"
# Every key this module writes: a removal of one is an upsert of None.
KEYS = frozenset({MEMO_VIEW, PROMPT_DETAIL, *PARTS.values()})


def split_view(view: dict[str, Any]) -> dict[str, Any]:
    """The memo entries of a `JobView` dumped as JSON; empty parts are left out."""
    job = {k: v for k, v in view.items() if k not in PARTS and k not in DERIVED}
    memo: dict[str, Any] = {MEMO_VIEW: job}
    for field, key in PARTS.items():
        value = view.get(field)
        if value not in (None, [], {}):
            memo[key] = value
    prompt = view.get("prompt")
    if prompt is not None:
        job["prompt"] = {k: v for k, v in prompt.items() if k not in PROMPT_DETAIL_FIELDS}
        memo[PROMPT_DETAIL] = {"answer_schema": prompt.get("answer_schema"),
                               "data": _refer(prompt.get("data") or {}, memo)}
    return memo


def _refer(data: dict[str, Any], memo: dict[str, Any]) -> dict[str, Any]:
    """The prompt's payload with a value that a part holds too (the review's validation
    report) written as `{"$part": key}`, so one upsert does not carry it twice."""
    parts = {key: value for key, value in memo.items() if key in PART_KEYS}
    out: dict[str, Any] = {}
    for name, value in data.items():
        same = next((k for k, v in parts.items() if isinstance(value, dict) and v == value), None)
        out[name] = {REF: same} if same else value
    return out


def _resolve(data: dict[str, Any], memo: dict[str, Any]) -> dict[str, Any]:
    return {name: memo.get(value[REF]) if isinstance(value, dict) and set(value) == {REF}
            else value for name, value in data.items()}


def is_split(memo: dict[str, Any]) -> bool:
    """True for a memo written by `split_view` (the options always have their own key)."""
    return PARTS["options"] in memo


def join_view(memo: dict[str, Any]) -> dict[str, Any] | None:
    """The `JobView` dict a memo holds (split or not); None before the first publish."""
    job = memo.get(MEMO_VIEW)
    if job is None or not is_split(memo):
        return job
    view = dict(job)
    for field, key in PARTS.items():
        if memo.get(key) is not None:
            view[field] = memo[key]
    prompt = view.get("prompt")
    if prompt is not None:
        detail = memo.get(PROMPT_DETAIL) or {}
        prompt = {**prompt, "answer_schema": detail.get("answer_schema"),
                  "data": _resolve(detail.get("data") or {}, memo)}
        view["prompt"] = prompt
        view["hitl_data"] = prompt.get("data")
    return view
