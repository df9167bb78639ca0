"""The job's view in the memo, split so that a change writes only what changed.

The memo key `job` holds the small part that changes often and that job lists and the inbox
read (status, phase, progress, counts, ids, the pending prompt without its schema and
payload). Each bulky part (the options, the plan, the validation report, the prompt's schema
and payload, ...) has a key of its own and is written only when it changes, so a job's
history no longer repeats the whole view on every step. `join_view` puts the parts back
together into a `JobView` dict; a memo from before the split (the whole view under `job`)
reads as it is. Pure functions: the workflow and the API use the same ones.

A lean job (`workflows.lean_history`) writes its memo `compact`: the `job` part without what
a reader can rebuild (values equal to the view's defaults, fields computed from other parts,
and the job's id, user, task and start time where its options hold the same), and the
pending prompt without its answer schema, which `join_view` derives from the prompt's type,
actions and payload as the workflow did. Job lists and the inbox still read the `job` part
alone: its status, progress, prompt summary, skill name and times are always written.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python

from workflows.hitl import answer_schema
from workflows.models import HitlAction, HitlType, JobView
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
# A compact part's list of same-keyed dicts: the keys once, then one row of values each.
COLS, ROWS = "$cols", "$rows"
# Every key this module writes: a removal of one is an upsert of None.
KEYS = frozenset({MEMO_VIEW, PROMPT_DETAIL, *PARTS.values()})
# Compact: left out of `job` when the options hold the same value.
FROM_OPTIONS = ("job_id", "user_id", "task_description", "created_at")
# Compact: computed from other parts on reading; the inbox reads `skill_name` from `job`.
COMPUTED = frozenset(JobView.model_computed_fields) - {"skill_name"}
# Compact: a value equal to its default is left out, but for what a list reads alone.
ALWAYS = frozenset({"events_count", "progress_percent", "status", "current_phase"})
DEFAULTS: dict[str, Any] = {
    name: to_jsonable_python(field.get_default(call_default_factory=True))
    for name, field in JobView.model_fields.items()
    if not field.is_required() and name not in ALWAYS}


def split_view(view: dict[str, Any], *, compact: bool = False) -> dict[str, Any]:
    """The memo entries of a `JobView` dumped as JSON; empty parts are left out."""
    job = {k: v for k, v in view.items() if k not in PARTS and k not in DERIVED}
    if compact:
        options = view.get("options") or {}
        job = {k: v for k, v in job.items() if k not in COMPUTED
               and not (k in DEFAULTS and v == DEFAULTS[k])
               and not (k in FROM_OPTIONS and v == options.get(k))}
    memo: dict[str, Any] = {MEMO_VIEW: job}
    for field, key in PARTS.items():
        value = view.get(field)
        if value not in (None, [], {}):
            memo[key] = value
    prompt = view.get("prompt")
    if prompt is not None:
        job["prompt"] = {k: v for k, v in prompt.items() if k not in PROMPT_DETAIL_FIELDS}
        detail = {"answer_schema": prompt.get("answer_schema"),
                  "data": _refer(prompt.get("data") or {}, memo)}
        if compact:
            del detail["answer_schema"]  # derived on reading
        memo[PROMPT_DETAIL] = detail
    if compact:  # after `_refer`, which compares the parts as they are
        memo.update({k: _pack(v) for k, v in memo.items() if k in PART_KEYS})
    return memo


def _pack(value: Any) -> Any:
    """A list of dicts with the same keys (the validation report's checks) as one list of
    keys and a row of values per dict: the keys are written once, not once per item."""
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    if (isinstance(value, list) and len(value) > 1 and all(isinstance(v, dict) for v in value)
            and all(list(v) == list(value[0]) for v in value)):
        return {COLS: list(value[0]), ROWS: [list(v.values()) for v in value]}
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {COLS, ROWS}:
            return [dict(zip(value[COLS], row, strict=True)) for row in value[ROWS]]
        return {k: _unpack(v) for k, v in value.items()}
    return value


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
    memo = {k: _unpack(v) if k in PART_KEYS else v for k, v in memo.items()}
    view = dict(job)
    for field, key in PARTS.items():
        if memo.get(key) is not None:
            view[field] = memo[key]
    _restore_from_options(view, view.get("options") or {})
    prompt = view.get("prompt")
    if prompt is not None:
        detail = memo.get(PROMPT_DETAIL) or {}
        data = _resolve(detail.get("data") or {}, memo)
        schema = (detail["answer_schema"] if "answer_schema" in detail
                  else _derived_schema(prompt, data))
        prompt = {**prompt, "answer_schema": schema, "data": data}
        view["prompt"] = prompt
        view["hitl_data"] = prompt.get("data")
    return view


def _derived_schema(prompt: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The answer schema a lean job's workflow gave the prompt (the current rules: full
    name match, reviewer edits), from what the memo holds of it."""
    return answer_schema(HitlType(prompt["type"]), data,
                         [HitlAction(a) for a in prompt.get("actions") or []])


def listed_view(memo: dict[str, Any]) -> dict[str, Any]:
    """The `job` part as job lists and the inbox read it, alone (no join of the parts), with
    what a compact memo leaves to the options put back."""
    job = dict(memo.get(MEMO_VIEW) or {})
    if is_split(memo):
        _restore_from_options(job, _unpack(memo.get(PARTS["options"]) or {}))
    return job


def _restore_from_options(view: dict[str, Any], options: dict[str, Any]) -> None:
    for field in FROM_OPTIONS:
        if field not in view and options.get(field) is not None:
            view[field] = options[field]
