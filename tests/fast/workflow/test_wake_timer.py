"""One pending timer for a job's deadlines (`workflows.wake_timer`, issue 27).

A prompt answered before its deadline leaves its timer pending; the next prompt, whose
deadline is later, waits for that timer and starts one for the rest when it fires. The
older prompt's timer firing must not time out the newer prompt: only its own deadline does.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from tests.fast.workflow.jobs import Harness
from workflows.models import HitlType, JobStatus

# Long enough that the preview is raised before the confirm's deadline on a loaded machine.
TIMEOUT = 3.0
GAP = timedelta(seconds=1)


async def test_an_older_prompts_timer_does_not_time_out_the_next_prompt(
    harness: Harness,
) -> None:
    job = await harness.start(enable_hitl_confirm=True, enable_hitl_preview=True,
                              hitl_timeout_seconds=TIMEOUT)
    confirm = await job.wait_prompt(HitlType.CONFIRM)
    # Answered a while after it was raised, so the confirm's timer fires well before the
    # preview's deadline even when the wake-up comes late on a loaded machine.
    await asyncio.sleep(GAP.total_seconds())
    await job.answer(confirm.prompt_id)
    preview = await job.wait_prompt(HitlType.PREVIEW, after=confirm.prompt_id)
    assert preview.created_at < confirm.deadline  # the case under test
    assert preview.deadline - confirm.deadline >= GAP
    final = await job.result()  # nobody answers the preview: the job times out

    assert final.status is JobStatus.CANCELLED
    [timed_out] = [e for e in final.events if e.kind == "prompt_timed_out"]
    assert timed_out.data["prompt_id"] == preview.prompt_id
    assert timed_out.at >= preview.deadline  # not at the confirm's deadline

    events = (await job.handle.fetch_history()).events
    started = [e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    # The confirm's timer served the preview until it fired; then one for the rest.
    assert [t.user_metadata.summary.data for t in started] == [
        b'"confirm deadline"', b'"preview deadline"']
    assert not [e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED]
    fired = [e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    assert [f.timer_fired_event_attributes.started_event_id for f in fired] == [
        t.event_id for t in started]
    rest = started[1].timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
    assert rest < preview.deadline - preview.created_at  # only what was left of it
