"""Following a job without polling: a long-poll of its run's history.

The server holds each request until new events exist, so a follower costs nothing while the
job waits for a human and hears of a change within milliseconds. The first batch is the
history so far. The run closes when the job ends or an operator terminates or resets it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.temporal_errors import job_missing, temporal_error
from workflows import names

# The server answers a history long-poll within ~20 s (an empty page when nothing happened);
# the deadline only has to outlast that.
HISTORY_LONG_POLL_SECONDS = 60.0
RUN_CLOSED_EVENTS = frozenset({
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
})


async def follow_view_counts(client: Client, handle: WorkflowHandle[Any, Any],
                             job_id: str) -> AsyncIterator[int]:
    """The view's `events_count` each time the workflow publishes it, until the run closes."""
    history = handle.fetch_history_events(
        wait_new_event=True, rpc_timeout=timedelta(seconds=HISTORY_LONG_POLL_SECONDS))
    while True:
        try:
            await history.fetch_next_page()
        except RPCError as err:
            if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
                continue  # nothing new; poll again from the same token
            if job_missing(err):
                raise ApiError(404, f"Job {job_id} not found.") from err
            raise temporal_error(err) from err
        batch = history.current_page or []
        # A long-poll token is always given while the run is open.
        closed = not history.next_page_token or any(
            e.event_type in RUN_CLOSED_EVENTS for e in batch)
        upsert = _last_view_upsert(batch)
        if upsert is not None:
            # The `job` part (`workflows.memo_view`), or the whole view of an older job.
            [view] = await client.data_converter.decode([upsert], [dict])
            yield int(view["events_count"])
        if closed:
            return


def _last_view_upsert(batch: list[HistoryEvent]) -> Payload | None:
    """The payload of the batch's last memo upsert of the job view, if any."""
    for event in reversed(batch):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
            fields = event.workflow_properties_modified_event_attributes.upserted_memo.fields
            if names.MEMO_VIEW in fields:
                return fields[names.MEMO_VIEW]
    return None
