"""An answer's `?wait` reply is held by the workflow with no timer (issue 27, `lean-history`).

The update waits for the next prompt or the job's end, which always come; the API bounds the
wait on its side (`api.answer_delivery`, tests/fast/api/test_answer_reads.py). So no timer is
written per answer, and no update is left unfinished when the run ends: a cancel while the
reply is held ends it with the cancelled job.
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.workflow import UnfinishedUpdateHandlersWarning

from activities.offline_author import OfflineAuthor
from tests.fast.workflow.jobs import WAIT_SECONDS, StartHarness, real_activities
from workflows.lean_history import PATCH_LEAN_HISTORY
from workflows.models import GenerateInput, HitlAction, HitlType, JobStatus, SkillContent


class HungGeneration(OfflineAuthor):
    """The plan comes at once; the draft never does (a hung model call)."""

    def __init__(self) -> None:
        super().__init__()
        self.generating = asyncio.Event()

    async def generate(self, request: GenerateInput) -> SkillContent:
        self.generating.set()
        await asyncio.Event().wait()  # never set: only a cancel ends it
        raise AssertionError("unreachable")


async def test_a_held_reply_ends_with_the_cancelled_job(
    start_harness: StartHarness, skills_root: Path
) -> None:
    author = HungGeneration()
    harness = await start_harness(real_activities(skills_root, author))
    job = await harness.start(enable_hitl_confirm=True)
    confirm = await job.wait_prompt(HitlType.CONFIRM)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        held = asyncio.create_task(job.answer(confirm.prompt_id, wait=30))
        await asyncio.wait_for(author.generating.wait(), WAIT_SECONDS)
        assert not held.done()  # no next prompt yet: the reply is held
        await job.handle.cancel()  # what POST /jobs/{id}/cancel sends
        ack = await asyncio.wait_for(held, WAIT_SECONDS)
        final = await job.result()
    assert (ack.action, ack.status, ack.next_prompt_id) == (
        HitlAction.PROCEED, JobStatus.CANCELLED, None)
    assert final.status is JobStatus.CANCELLED
    assert not [w for w in caught if issubclass(w.category, UnfinishedUpdateHandlersWarning)]

    history = await job.handle.fetch_history()
    # Lean by its input (`JobInput.history_format`, as the API starts it): no patch marker.
    assert not any(PATCH_LEAN_HISTORY in str(e.marker_recorded_event_attributes)
                   for e in history.events if e.HasField("marker_recorded_event_attributes"))
    # The prompt's deadline is the only timer: the held reply has none of its own.
    timers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    assert [t.user_metadata.summary.data for t in timers] == [b'"confirm deadline"']
