"""What one job costs the Temporal service: history events, history bytes, billable actions.

Billable actions are counted from the job's history by Temporal Cloud's documented rules
(docs.temporal.io/cloud/actions), as far as a history shows them:

- **Workflow started**: 1 (WORKFLOW_EXECUTION_STARTED; also a continue-as-new or a child).
- **Activity started or retried**: 1 per attempt; a history keeps one ACTIVITY_TASK_STARTED
  per scheduled activity, whose `attempt` is the number of attempts (1 if none started).
- **Timer started**: 1 per TIMER_STARTED, the SDK's implicit ones (`wait_condition` with a
  timeout) included.
- **Search Attribute upsert**: 1 per UPSERT_WORKFLOW_SEARCH_ATTRIBUTES command, however many
  attributes it sets; the ones given at start and an upsert of only `TemporalChangeVersion`
  (the SDK's patch marker attribute) are exempt.
- **Signal sent**: 1 per WORKFLOW_EXECUTION_SIGNALED and per signal a workflow sends
  (SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED).
- **Update**: 1 per update the worker received; a history shows the accepted ones
  (WORKFLOW_EXECUTION_UPDATE_ACCEPTED). Rejected updates (a refused answer) also cost one
  but leave no event; de-duplicated ones (same update id) cost nothing.
- **Side effect / marker**: markers of the Python SDK are patch markers, not side effects
  (only Go and Java have side effects): 0.

Not in a history, so not counted here: queries (1 each, e.g. the event stream's), activity
heartbeats (1 each), rejected updates, and anything of the API's reads (describe and list
are not actions). Memo upserts (WORKFLOW_PROPERTIES_MODIFIED) are not actions but are
history bytes, which count toward storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent

PATCH_ATTRIBUTE = "TemporalChangeVersion"
_ONE_EACH = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "workflow_started",
    EventType.EVENT_TYPE_TIMER_STARTED: "timer_started",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: "signal",
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "workflow_started",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
}


def billable_actions(events: Iterable[HistoryEvent]) -> dict[str, int]:
    """Billable actions in a history by kind, and their `total` (rules: module docstring)."""
    counts: dict[str, int] = {}
    scheduled: set[int] = set()
    attempts: dict[int, int] = {}

    def add(kind: str, n: int = 1) -> None:
        counts[kind] = counts.get(kind, 0) + n

    for event in events:
        kind = _ONE_EACH.get(event.event_type)
        if kind:
            add(kind)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            attempts[started.scheduled_event_id] = max(1, started.attempt)
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes \
                .search_attributes.indexed_fields
            if set(fields) - {PATCH_ATTRIBUTE}:
                add("search_attribute_upsert")
    if scheduled:
        add("activity_attempt", sum(attempts.get(s, 1) for s in scheduled))
    return {**dict(sorted(counts.items())), "total": sum(counts.values())}


def history_cost(events: Iterable[HistoryEvent]) -> dict[str, Any]:
    """Events, bytes (the history as stored, protobuf) and billable actions of one run."""
    listed = list(events)
    actions = billable_actions(listed)
    return {"events": len(listed), "bytes": History(events=listed).ByteSize(),
            "billable_actions": actions["total"],
            "actions_by_kind": {k: v for k, v in actions.items() if k != "total"}}
