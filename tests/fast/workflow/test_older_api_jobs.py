"""A job started by an older API (no history format in its input) on today's worker.

During a rolling deploy, workers first, an API of the previous version still starts jobs:
their input has `history_format` 0, no start time and no start memo. Such a job must run
exactly as it did before the format existed: lean through the `lean-history` patch (its
marker and the SDK's `TemporalChangeVersion` upsert), a timer per prompt cancelled by its
answer, the first view published by its first task — 54 events for the three-checkpoint
journey, as `tests/histories/lean_three_checkpoints.json` recorded it.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType

from api.job_gateway import JobGateway
from common.settings import Settings
from tests.fast.workflow.jobs import Harness
from workflows.lean_history import PATCH_LEAN_HISTORY
from workflows.models import HitlType, JobStatus, Phase

# The lean-history journey's events before the format (tests/fast/workflow/test_history_size.py).
LEAN_HISTORY_EVENTS = 54


async def test_a_job_of_an_older_api_runs_as_before(harness: Harness) -> None:
    job = await harness.start(enable_hitl_confirm=True, enable_hitl_preview=True,
                              enable_hitl_review=True, history_format=0, created_at=None)
    prompt = await job.wait_prompt(HitlType.CONFIRM)
    # Its first task published its first view (nothing was written at the start).
    view = await JobGateway(harness.client, Settings()).view(job.id)
    assert view.status is JobStatus.PENDING_HITL and view.current_phase is Phase.UNDERSTANDING
    seen = []
    while prompt is not None:
        seen.append(prompt.type)
        ack = await job.answer(prompt.prompt_id, wait=30)
        prompt = ack.prompt
    assert seen == [HitlType.CONFIRM, HitlType.PREVIEW, HitlType.VALIDATE]
    assert ack.status is JobStatus.COMPLETED

    events = (await job.handle.fetch_history()).events
    kinds = [e.event_type for e in events]
    assert len(events) == LEAN_HISTORY_EVENTS
    markers = [str(e.marker_recorded_event_attributes) for e in events
               if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert sum(PATCH_LEAN_HISTORY in m for m in markers) == 1
    # A deadline per prompt, each cancelled by its answer, and the promotion window's.
    assert kinds.count(EventType.EVENT_TYPE_TIMER_STARTED) == 4
    assert kinds.count(EventType.EVENT_TYPE_TIMER_CANCELED) == 3
