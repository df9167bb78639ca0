"""The skill library: list, read and validate stored skills (paths relative to the root)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import CallerDep
from api.deps import SettingsDep
from api.errors import ApiError
from api.refusal_status import published_reason
from skill_format.models import ValidationCheck
from skill_store.library import (
    SkillEntry,
    SkillNotFoundError,
    StoredSkill,
    list_skills,
    read_skill,
    validate_skill_path,
)
from skill_store.paths import UnsafePathError

router = APIRouter(prefix="/skills")
T = TypeVar("T")


class SkillList(BaseModel):
    skills: list[SkillEntry]


class ValidateRequest(BaseModel):
    skill_path: str = Field(
        min_length=1,
        max_length=1024,
        description="Relative to the skills root, e.g. 'development/x'.",
    )


class ValidateResponse(BaseModel):
    skill_path: str
    passed: bool
    score: float
    errors: list[str]
    warnings: list[str]
    checks: list[ValidationCheck]
    score_parts: dict[str, float]


async def _on_disk(read: Callable[[], T]) -> T:
    """Run a blocking read off the event loop; bad paths are 400, missing skills 404."""
    try:
        return await asyncio.to_thread(read)
    except UnsafePathError as err:
        raise ApiError(400, str(err), reason=published_reason("unsafe_path")) from err
    except SkillNotFoundError as err:
        raise ApiError(404, str(err)) from err


@router.get("", response_model=SkillList)
async def get_skills(settings: SettingsDep, caller: CallerDep) -> SkillList:
    return SkillList(skills=await _on_disk(lambda: list_skills(settings.skills_root)))


@router.post("/validate", response_model=ValidateResponse)
async def validate(
    body: ValidateRequest, settings: SettingsDep, caller: CallerDep
) -> ValidateResponse:
    report = await _on_disk(
        lambda: validate_skill_path(settings.skills_root, body.skill_path, settings.pass_threshold)
    )
    return ValidateResponse(
        skill_path=body.skill_path,
        **report.model_dump(
            include={"passed", "score", "errors", "warnings", "checks", "score_parts"}
        ),
    )


@router.get("/{path:path}", response_model=StoredSkill)
async def get_skill(path: str, settings: SettingsDep, caller: CallerDep) -> StoredSkill:
    return await _on_disk(lambda: read_skill(settings.skills_root, path, settings.pass_threshold))
