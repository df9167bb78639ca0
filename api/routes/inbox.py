"""The inbox: every prompt waiting for the caller, across their jobs, oldest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import CallerDep
from api.deps import GatewayDep
from api.schemas import InboxPage
from common.job_terms import ASSIGNEE_PATTERN, USER_ID_PATTERN

router = APIRouter()


@router.get("/hitl/pending", response_model=InboxPage)
async def pending_prompts(
    gateway: GatewayDep,
    caller: CallerDep,
    user_id: Annotated[str | None, Query(pattern=USER_ID_PATTERN,
                                         description="Admins only: one user's prompts.")] = None,
    assignee: Annotated[str | None, Query(
        pattern=ASSIGNEE_PATTERN,
        description="Only prompts assigned to this user or `group:<name>` (after escalation).",
    )] = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
    page_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> InboxPage:
    """Served from visibility (one list call per page), so it may lag a moment behind.

    Each page is sorted oldest prompt first; pages come newest-started job first
    (SQL visibility cannot ORDER BY), so the order is exact when it fits one page.
    """
    if caller.owner_scope is not None:
        if user_id not in (None, caller.owner_scope):
            return InboxPage(prompts=[], next_page_token=None)
        user_id = caller.owner_scope
    prompts, next_token = await gateway.pending_prompts(
        user_id=user_id, assignee=assignee, page_size=page_size, page_token=page_token)
    return InboxPage(prompts=prompts, next_page_token=next_token)
