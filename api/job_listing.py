"""How a listed workflow reads in the API: list rows, inbox items, page tokens, end states.

Pure translation of what visibility and describe return; the gateway does the calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from temporalio.client import WorkflowExecution, WorkflowExecutionStatus

from api.errors import ApiError
from api.schemas import InboxItem, JobSummary
from api.view_cache import QUEUED
from common import search_attributes as sa
from workflows import memo_view
from workflows.models import JobStatus, JobView, Phase

_TOKEN_CHECK = 6


def encode_page_token(token: bytes | None) -> str | None:
    """Page tokens carry a checksum, so a forged one is a 400 here, not a puzzle for Temporal."""
    if not token:
        return None
    return base64.urlsafe_b64encode(hashlib.sha256(token).digest()[:_TOKEN_CHECK] + token).decode()


def decode_page_token(token: str) -> bytes:
    try:
        raw = base64.b64decode(token.encode(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "Invalid page token.") from None
    check, inner = raw[:_TOKEN_CHECK], raw[_TOKEN_CHECK:]
    if not inner or hashlib.sha256(inner).digest()[:_TOKEN_CHECK] != check:
        raise ApiError(400, "Invalid page token: pass back a next_page_token unchanged.")
    return inner


def reconcile(view: JobView, status: WorkflowExecutionStatus | None) -> JobView:
    """A workflow ended outside our control (terminated, timed out) still reads truthfully.

    A cancelled job's run closes Canceled only after it published its `cancelled` view
    (`workflows.cancelled_run`), so that view is read as it is; a Canceled run whose view
    is not terminal ended without saying so, and reads as cancelled.
    """
    if status in (None, WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
        return view
    if view.status.is_terminal:
        return view
    ended = {
        WorkflowExecutionStatus.CANCELED: JobStatus.CANCELLED,
        WorkflowExecutionStatus.TERMINATED: JobStatus.CANCELLED,
    }.get(status, JobStatus.FAILED)
    return view.model_copy(update={
        "status": ended, "prompt": None,  # hitl_type and hitl_data follow the prompt
        "error": view.error or f"Workflow ended as {status.name.lower()} outside the job.",
    })


async def job_summary(w: WorkflowExecution) -> JobSummary:
    attrs = w.typed_search_attributes
    memo = await w.memo()
    view = memo_view.listed_view(memo)
    status = attrs.get(sa.STATUS)
    phase = attrs.get(sa.PHASE)
    return JobSummary(
        job_id=w.id,
        status=JobStatus(status) if status else None,
        current_phase=Phase(phase) if phase else None,
        user_id=attrs.get(sa.USER),
        hitl_type=attrs.get(sa.HITL_TYPE),
        task_description=view.get("task_description") or memo.get("task_description"),
        # A job no worker has taken yet starts with the view its first task will leave.
        progress_percent=(QUEUED["progress_percent"] if status == JobStatus.PENDING.value
                          else view.get("progress_percent")),
        created_at=w.start_time.isoformat() if w.start_time else None,
        updated_at=view.get("updated_at")
        or (w.close_time.isoformat() if w.close_time else None),
    )


async def inbox_item(w: WorkflowExecution) -> InboxItem | None:
    """The pending prompt of a listed job, from the memo view the list result carries."""
    view = memo_view.listed_view(await w.memo())
    prompt = view.get("prompt")
    if not prompt:  # the attribute and the memo are upserted together; be safe anyway
        return None
    attrs = w.typed_search_attributes
    return InboxItem(
        job_id=w.id,
        user_id=attrs.get(sa.USER),
        type=prompt["type"],
        prompt_id=prompt["prompt_id"],
        created_at=prompt["created_at"],
        deadline=prompt.get("deadline") or attrs.get(sa.HITL_DEADLINE),
        summary=prompt.get("summary") or "",
        assignee=prompt.get("assignee") or None,
        skill_name=view.get("skill_name"),
        revisions_left=prompt.get("revisions_left"),
    )
