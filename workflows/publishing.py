"""How readers see a running job without a query: its view in the memo, its search attributes.

The API, job lists, the inbox and the Web UI read these; only what changed is upserted,
once per workflow activation, so history and visibility writes stay few.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from common import search_attributes as sa
    from workflows import job_metrics, lean_history, memo_view
    from workflows.models import JobState, JobView
    from workflows.names import MEMO_VIEW

# The memo view is split into parts (`workflows.memo_view`) and only changed parts are
# written; the search attributes the job was started with are not written again.
# Jobs started before keep the whole view under one key (their history shows that).
PATCH_SPLIT_MEMO = "split-memo-view"


class ViewPublisher:
    """Publishes one job's state; the workflow owns one and calls `publish` after changes."""

    def __init__(self, state: JobState) -> None:
        self._state = state
        self._published: dict[str, Any] = {}
        self._published_view: dict[str, Any] = {}
        self._published_memo: dict[str, Any] = {}
        self._split: bool | None = None
        self._compact = False
        self._scheduled = False
        self._held = 0
        self._pending = False

    def publish(self) -> None:
        """Publish the job's view once, at the end of this activation.

        State often changes several times in one activation (an answer taken, the phase
        moved on); one upsert with the final state saves history events and visibility
        writes (73 -> 66 events per benchmark job).
        """
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Publish nothing until the block ends, then once: a local activity inside runs in
        the same workflow task, so what changed before and after it is one upsert."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending:
                self._pending = False
                self.publish()

    def _flush(self) -> None:
        if self._held:
            self._scheduled, self._pending = False, True
        else:
            self.publish_now()

    def publish_now(self) -> None:
        """Upsert the memo view and the search attributes that changed.

        Readers (API, lists, the Web UI) see the job through these, without a query.
        """
        self._scheduled = False
        if self._split is None:  # decided once, at the job's first publish
            self._split = lean_history.patched(self._state.options, PATCH_SPLIT_MEMO)
            self._compact = lean_history.lean(self._state.options)
            if self._split:
                started = workflow.info().typed_search_attributes
                self._published = {key.name: started.get(key) for key in sa.ALL}
            if self._split and lean_history.by_input(self._state.options):
                self._start_from_start_memo()
        state = self._state
        view = JobView.of(state).model_dump(mode="json")
        if self._split:
            self._upsert_changed_parts(view)
        elif view != self._published_view:
            self._published_view = view
            workflow.upsert_memo({MEMO_VIEW: view})
        prompt = state.prompt
        wanted: dict[str, Any] = {
            sa.STATUS.name: state.status.value,
            sa.PHASE.name: state.current_phase.value,
            sa.USER.name: state.user_id,
            sa.HITL_TYPE.name: prompt.type.value if prompt else None,
            sa.HITL_DEADLINE.name: prompt.deadline if prompt else None,
            sa.ASSIGNEE.name: prompt.assignee if prompt else None,
        }
        updates = []
        for key in sa.ALL:
            value = wanted[key.name]
            if self._published.get(key.name, ...) == value:
                continue
            self._published[key.name] = value
            if key.name == sa.STATUS.name:
                job_metrics.record_status(value)
            updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)

    def _start_from_start_memo(self) -> None:
        """What the API started the job with (`workflows.start_view`) is published already:
        the first publish writes only what differs (its search attributes start pending)."""
        self._published_memo = {k: v for k, v in workflow.memo().items()
                                if k in memo_view.KEYS}

    def _upsert_changed_parts(self, view: dict[str, Any]) -> None:
        """One memo upsert with the parts that changed; a part that became empty is removed."""
        memo = memo_view.split_view(view, compact=self._compact)
        published = self._published_memo
        changes: dict[str, Any] = {k: v for k, v in memo.items() if published.get(k) != v}
        changes.update({k: None for k in published if k not in memo})
        if changes:
            self._published_memo = memo
            workflow.upsert_memo(changes)
