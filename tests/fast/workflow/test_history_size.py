"""A job's history stays small: the memo view is written in parts, only what changed, and an
answer's reply names the next prompt instead of carrying it (issue 27).

A completed three-checkpoint job (confirm, preview, review, answered as the benchmark does)
on the real dev server: its history's event count and size are deterministic, so they are
asserted. The API's readers of the memo (`GET /jobs/{id}`, the inbox) are run against the
same job: what they read from the split memo is the whole view the workflow holds.

`RECORD_HISTORIES=1` writes the history to tests/histories/input_format_three_checkpoints.json
for tests/fast/test_replay.py (only after a deliberate change of `HISTORY_FORMAT`'s commands).
lean_three_checkpoints.json is the same journey of a job started before formats (format 0, the
`lean-history` marker); it is kept as recorded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowExecution

from api.job_gateway import JobGateway
from api.job_listing import inbox_item, job_summary
from common import search_attributes as sa
from common.settings import Settings
from tests.fast.workflow.jobs import Harness, Job, eventually
from workflows import memo_view
from workflows.lean_history import PATCH_LEAN_HISTORY
from workflows.models import HitlType, JobStatus, JobView
from workflows.names import MEMO_VIEW

# Before the split (the whole ~9 KB view on every publish): 74 events, 116,065 bytes, of
# which 73,290 were the 8 memo upserts. The split adds the patch marker and its
# TemporalChangeVersion upsert (2 events): 76 events, 67,505 bytes. Replies that name the
# next prompt by id instead of carrying it (its report and SKILL.md are in the memo):
# the 3 update completions 13,337 -> 825 bytes, the history 55,074 bytes.
# The `lean-history` patch (`workflows.lean_history`), 76 events / ~55,100 bytes before:
# - one patch marker for the job's new paths instead of `split-memo-view` and
#   `reviewer-edits` (each a marker and a TemporalChangeVersion upsert): -2 events, -271 bytes;
# - `?wait` replies held with no timer (the API bounds the wait): -6 events, -885 bytes;
# - validate and save as local activities, the view published once after each: the 2
#   workflow tasks they took and 2 memo and 2 attribute upserts go; 54 events, 46,402 bytes;
# - the compact memo (`workflows.memo_view`: no defaults, nothing computed or held by the
#   options, the answer schema derived on reading): 40,942 bytes;
# - a part's lists of same-keyed dicts (the report's checks) as rows: 39,044 bytes.
# A job's history format in its input (`JobInput.history_format`, set by the API), 54 events:
# - lean by input, not by the `lean-history` patch: no marker and no TemporalChangeVersion
#   upsert in the first task, -2 events: 52 events, 38,893 bytes;
# - one pending timer for the job's deadlines (`workflows.wake_timer`): the confirm's timer
#   serves the later prompts, no timer per prompt nor its cancel; the promotion window
#   cancels it and starts its own (else it would wake the job in the window's first day,
#   4 events and a replay, to be started again): -4 events: 48 events;
# - the API starts the job with the view its first task leaves as memo (`workflows.start_view`:
#   the compact memo parts; the task's clock is the input's start time), its search attributes
#   still pending / queued until a worker takes it: the first task upserts only those, -1
#   event: 47 events.
EVENTS = 47
MAX_HISTORY_BYTES = 38_500
MAX_REPLY_BYTES = 1_200
MAX_MEMO_BYTES = 16_000
MEMO_UPSERTS = 5
JOB_ATTRIBUTE_UPSERTS = 6
# One for the confirm's deadline, pending for the later prompts, and the promotion window's
# (`workflows.wake_timer`); the held replies have none.
TIMERS = 2
TIMERS_CANCELED = 1
HISTORIES = Path(__file__).resolve().parent.parent.parent / "histories"
# The journey of a job of the current `HISTORY_FORMAT`, replayed by tests/fast/test_replay.py.
RECORDED = "input_format_three_checkpoints"


def _by_type(history: History) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for event in history.events:
        out.setdefault(EventType.Name(event.event_type), []).append(event)
    return out


async def _listed(harness: Harness, job_id: str) -> WorkflowExecution | None:
    async for w in harness.client.list_workflows(f"WorkflowId = '{job_id}'"):
        return w
    return None


async def _reads_match(harness: Harness, job: Job) -> JobView:
    """`GET /jobs/{id}`'s read (describe, memo joined) equals the workflow's own view."""
    gateway = JobGateway(harness.client, Settings())
    read = await gateway.view(job.id)
    own = JobView.of(await job.state())
    assert read.model_dump(mode="json") == own.model_dump(mode="json")
    return read


async def test_three_checkpoint_job_history_is_small(harness: Harness) -> None:
    job = await harness.start(enable_hitl_confirm=True, enable_hitl_preview=True,
                              enable_hitl_review=True)
    prompt = await job.wait_prompt(HitlType.CONFIRM)
    await _reads_match(harness, job)
    seen = []
    while prompt is not None:
        seen.append(prompt.type)
        if prompt.type is HitlType.VALIDATE:
            view = await _reads_match(harness, job)
            assert view.prompt is not None and view.validation is not None
            assert view.prompt.data["report"] == view.validation.model_dump(mode="json")
            # The inbox reads the `job` part of the memo a visibility list carries.
            listed = await eventually(
                lambda: _listed(harness, job.id),
                lambda w: w is not None and w.typed_search_attributes.get(sa.HITL_TYPE)
                == HitlType.VALIDATE.value,
                "the job listed at its review")
            assert listed is not None
            item = await inbox_item(listed)
            assert item is not None and item.prompt_id == prompt.prompt_id
            assert item.summary == prompt.summary and item.revisions_left == prompt.revisions_left
            assert (await job_summary(listed)).progress_percent == view.progress_percent
        ack = await job.answer(prompt.prompt_id, wait=30)
        prompt = ack.prompt
    assert seen == [HitlType.CONFIRM, HitlType.PREVIEW, HitlType.VALIDATE]
    assert ack.status is JobStatus.COMPLETED
    final = await _reads_match(harness, job)
    assert final.result and final.draft_path

    history = History(events=(await job.handle.fetch_history()).events)
    by_type = _by_type(history)
    memo_events = by_type["EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED"]
    job_upserts = [
        e for e in by_type["EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"]
        if "TemporalChangeVersion" not in
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields]
    assert len(history.events) == EVENTS
    assert history.ByteSize() <= MAX_HISTORY_BYTES
    assert len(memo_events) == MEMO_UPSERTS
    replies = by_type["EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED"]
    assert len(replies) == 3 and sum(e.ByteSize() for e in replies) <= MAX_REPLY_BYTES
    assert sum(e.ByteSize() for e in memo_events) <= MAX_MEMO_BYTES
    assert len(job_upserts) == JOB_ATTRIBUTE_UPSERTS
    # The options (and the plan) are written once, not with every change: the options with
    # the start; the first workflow task writes no memo (`workflows.start_view`), only the
    # search attributes of a job a worker took (pending, queued -> running, understanding).
    written = [set(e.workflow_properties_modified_event_attributes.upserted_memo.fields)
               for e in memo_events]
    started = history.events[0].workflow_execution_started_event_attributes
    assert "job.options" in started.memo.fields
    assert sum("job.options" in keys for keys in written) == 0
    first_task = next(e.event_id for e in history.events if e.event_type
                      == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    assert not [e for e in memo_events if first_task
                == e.workflow_properties_modified_event_attributes.workflow_task_completed_event_id]
    [took] = [e.upsert_workflow_search_attributes_event_attributes for e in job_upserts
              if e.upsert_workflow_search_attributes_event_attributes
              .workflow_task_completed_event_id == first_task]
    assert set(took.search_attributes.indexed_fields) == {sa.STATUS.name, sa.PHASE.name}
    assert sum("job.plan" in keys for keys in written) == 1
    assert all(MEMO_VIEW in keys for keys in written)
    assert len(by_type["EVENT_TYPE_TIMER_STARTED"]) == TIMERS
    # Only the confirm's timer is cancelled, when the promotion window starts its own.
    assert len(by_type["EVENT_TYPE_TIMER_CANCELED"]) == TIMERS_CANCELED
    markers = [str(e.marker_recorded_event_attributes)
               for e in by_type["EVENT_TYPE_MARKER_RECORDED"]]
    # Lean by its input (`JobInput.history_format`): no patch marker, only the 2 local activities.
    assert not any(PATCH_LEAN_HISTORY in m for m in markers) and len(markers) == 2
    if os.environ.get("RECORD_HISTORIES") == "1":
        path = HISTORIES / f"{RECORDED}.json"
        path.write_text((await job.handle.fetch_history()).to_json())


def test_memo_from_before_the_split_reads_as_it_is() -> None:
    whole = {"job_id": "j", "options": {"job_id": "j"}, "prompt": None}
    assert memo_view.join_view({MEMO_VIEW: whole}) == whole
    assert memo_view.join_view({}) is None


def test_split_and_join_round_trip_with_a_shared_report() -> None:
    report = {"passed": True, "checks": [{"check": "name", "ok": True}]}
    view = {
        "job_id": "j", "options": {"job_id": "j"}, "validation": report, "versions": [],
        "understanding": None, "clarifications": {}, "last_diff": "", "result": None,
        "prompt": {"prompt_id": 3, "type": "validate", "answer_schema": {"type": "object"},
                   "data": {"report": report, "note": {"x": 1}}},
        "hitl_data": {"report": report, "note": {"x": 1}},
    }
    memo = memo_view.split_view(view)
    assert memo[memo_view.PROMPT_DETAIL]["data"]["report"] == {memo_view.REF: "job.validation"}
    assert "answer_schema" not in memo[MEMO_VIEW]["prompt"]
    assert "job.versions" not in memo and "job.plan" not in memo
    joined = memo_view.join_view(memo)
    assert joined is not None
    expected = {k: v for k, v in view.items() if v not in (None, [], {})}
    assert {k: v for k, v in joined.items() if v not in (None, [], {})} == expected


def test_compact_parts_pack_same_keyed_lists_as_rows_and_read_back() -> None:
    checks = [{"check": "a", "passed": True}, {"check": "b", "passed": False}]
    mixed = [{"check": "a"}, {"other": 1}]
    view = {"job_id": "j", "options": {"job_id": "j", "user_id": "u"}, "user_id": "u",
            "status": "running", "events_count": 2, "error": None,
            "validation": {"checks": checks, "trigger_cases": mixed, "passed": False}}
    memo = memo_view.split_view(view, compact=True)
    assert memo["job.validation"]["checks"] == {
        memo_view.COLS: ["check", "passed"], memo_view.ROWS: [["a", True], ["b", False]]}
    assert memo["job.validation"]["trigger_cases"] == mixed  # not one shape: as it is
    assert memo[MEMO_VIEW] == {"status": "running", "events_count": 2}
    joined = memo_view.join_view(memo)
    assert joined is not None
    assert joined["validation"] == view["validation"]
    assert (joined["job_id"], joined["user_id"]) == ("j", "u")
