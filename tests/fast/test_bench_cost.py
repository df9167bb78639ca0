"""The bench's cost per job (`bench/cost.py`), counted on recorded histories.

The recorded histories are fixed, so their counts are exact: a change of the rules (or of
how a history is read) shows up here, with the rule that moved.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from bench.cost import billable_actions, history_cost

HISTORIES = Path(__file__).parents[1] / "histories"


def _history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())


def test_the_three_checkpoint_job_by_the_documented_rules() -> None:
    """76 events: 1 start, 4 activities, 7 timers (3 deadlines, 3 `?wait` replies, the
    promotion window), 3 answers, 10 upserts of which 2 set only TemporalChangeVersion."""
    cost = history_cost(_history("split_memo_three_checkpoints").events)
    assert (cost["events"], cost["bytes"]) == (76, 67_350)
    assert cost["actions_by_kind"] == {"activity_attempt": 4, "search_attribute_upsert": 8,
                                       "timer_started": 7, "update": 3, "workflow_started": 1}
    assert cost["billable_actions"] == 23


def test_a_retried_activity_costs_each_attempt() -> None:
    """all_checkpoints: 34 activities, one of which ran twice (its started event's attempt)."""
    events = _history("all_checkpoints").events
    started = [e.activity_task_started_event_attributes.attempt for e in events
               if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED]
    assert (len(started), sum(started)) == (34, 35)
    actions = billable_actions(events)
    assert actions["activity_attempt"] == 35 and actions["total"] == 67


def test_exempt_and_free_events_cost_nothing() -> None:
    """Memo upserts, markers, workflow tasks, completions and cancelled timers are no action."""
    events = [e for e in _history("split_memo_three_checkpoints").events if e.event_type in {
        EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_TIMER_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED}]
    assert events and billable_actions(events) == {"total": 0}
