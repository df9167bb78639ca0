"""Reading a job's draft and promoting it into the skill library."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import CallerDep
from api.deps import GatewayDep, SettingsDep
from api.errors import ApiError
from api.schemas import PromoteBody, same_named
from skill_store.library import SkillNotFoundError, read_draft
from skill_store.paths import relative_to_root
from workflows.models import JobStatus
from workflows.promotion_models import PromoteRequest, PromoteResult

router = APIRouter(prefix="/drafts")


class DraftResponse(BaseModel):
    job_id: str
    status: JobStatus
    taxonomy_path: str | None
    draft_path: str
    skill_md: str
    files: list[str]
    validation_passed: bool | None
    promoted: bool
    final_path: str | None


# The fields a draft's reply shows as the job's view has them.
_FROM_VIEW = ("job_id", "status", "validation_passed", "promoted")


@router.post("/{job_id}/promote", response_model=PromoteResult)
async def promote_draft(
    job_id: str, gateway: GatewayDep, caller: CallerDep, body: PromoteBody | None = None
) -> PromoteResult:
    """The copy runs in the job's workflow, so its state and the files never disagree.

    The skill will belong to the job's user; replacing another user's skill and `force`
    (accepting a failed validation) are for admins. `final_path` is relative to the
    skills root."""
    body = body or PromoteBody()
    if body.force and not caller.is_admin:
        raise ApiError(
            403,
            "force=true (promoting a skill that failed validation) is for "
            "admins; revise the skill until it passes, or ask an admin.",
        )
    request = PromoteRequest(
        **body.model_dump(), admin=caller.is_admin, requested_by=caller.user_id
    )
    return await gateway.promote(job_id, request, caller.owner_scope)


@router.get("/{job_id}", response_model=DraftResponse)
async def get_draft(
    job_id: str, gateway: GatewayDep, settings: SettingsDep, caller: CallerDep
) -> DraftResponse:
    view = await gateway.view(job_id, caller.owner_scope)
    if not view.draft_path:
        raise ApiError(
            404,
            f"Job {job_id} has no draft ({view.status.value}"
            f"{', promoted and draft deleted' if view.promoted else ''}).",
        )
    try:
        draft = await asyncio.to_thread(
            read_draft, settings.skills_root, view.job_id, view.draft_path
        )
    except SkillNotFoundError as err:
        raise ApiError(404, str(err)) from err
    return DraftResponse(
        **draft.model_dump(),
        **same_named(view, _FROM_VIEW),
        taxonomy_path=view.intended_taxonomy_path,
        final_path=_relative(settings.skills_root, view.final_path),
    )


def _relative(root: Path, path: str | None) -> str | None:
    """Jobs promoted before paths were relative recorded absolute ones; show them relative."""
    if path is None or not Path(path).is_absolute():
        return path
    try:
        return relative_to_root(root, Path(path))
    except ValueError:
        return Path(path).name
