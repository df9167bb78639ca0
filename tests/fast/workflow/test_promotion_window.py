"""The promotion window: a completed job stays open to promote, then closes.

An unpromoted draft is deleted when the window closes (`draft_expired`); a promoted one
is left alone. The window is the job's input, so it lasts a second here.
"""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus

from tests.fast.workflow.jobs import Harness
from workflows import names
from workflows.models import JobStatus
from workflows.promotion_models import PromoteRequest, PromoteResult


async def test_an_unpromoted_draft_is_deleted_when_the_window_closes(harness: Harness) -> None:
    job = await harness.start(promotion_window_seconds=1)
    done = await job.wait_status(JobStatus.COMPLETED)
    assert done.draft_path is not None
    draft = harness.skills_root / done.draft_path
    assert (draft / "SKILL.md").is_file()
    assert (await job.handle.describe()).status is WorkflowExecutionStatus.RUNNING

    final = await job.result()  # the run closes with the window
    assert final.status is JobStatus.COMPLETED and not final.promoted
    assert final.draft_path is None
    assert not draft.exists() and not job.drafts.exists()
    kinds = [e.kind for e in final.events]
    assert kinds[-1] == "draft_expired" and kinds.index("completed") < kinds.index("draft_expired")
    # closed: the API answers a late promote with "the promotion window has closed"
    assert (await job.handle.describe()).status is WorkflowExecutionStatus.COMPLETED


async def test_a_promoted_draft_is_kept_when_the_window_closes(harness: Harness) -> None:
    job = await harness.start(promotion_window_seconds=1)
    done = await job.wait_status(JobStatus.COMPLETED)
    assert done.draft_path is not None

    promoted = await job.handle.execute_update(
        names.UPDATE_PROMOTE, PromoteRequest(requested_by=done.user_id), result_type=PromoteResult)
    assert promoted.final_path == done.intended_taxonomy_path
    assert (harness.skills_root / promoted.final_path / "SKILL.md").is_file()

    final = await job.result()
    assert final.promoted and final.final_path == promoted.final_path
    assert "draft_expired" not in [e.kind for e in final.events]
    # promote without delete_draft keeps the draft; the closing window keeps it too
    assert final.draft_path == done.draft_path
    assert (harness.skills_root / done.draft_path / "SKILL.md").is_file()
