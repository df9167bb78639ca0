"""Reading the pending prompt and delivering a human's answer to the workflow."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from typing import Annotated

from fastapi import APIRouter

from api.auth import CallerDep
from api.create_wait import wait_query
from api.deps import GatewayDep, SettingsDep
from api.limits import LimitsDep, caller_key
from api.responses import ModelResponse
from api.schemas import AnswerRequest, AnswerResponse, HitlConfig, PromptResponse
from workflows.hitl import PHASE_OF, REVISABLE_TYPES, waiting_status
from workflows.models import (
    ACTION_ALIASES,
    HitlAction,
    HitlResponse,
    HitlType,
)

router = APIRouter(prefix="/hitl")


@router.get("/config", response_model=HitlConfig)
async def hitl_config(settings: SettingsDep, caller: CallerDep) -> HitlConfig:
    checkpoints = {
        t.value: {
            "phase": PHASE_OF[t].value,
            "status_while_waiting": waiting_status(t).value,
            "actions": [a.value for a in HitlAction]
            if t in REVISABLE_TYPES else [HitlAction.PROCEED.value, HitlAction.CANCEL.value],
            "revisable": t in REVISABLE_TYPES,
        }
        for t in HitlType
    }
    return HitlConfig(
        actions=[a.value for a in HitlAction],
        aliases={k: v.value for k, v in ACTION_ALIASES.items()},
        checkpoints=checkpoints,
        max_revisions=settings.max_revisions,
        hitl_timeout_seconds=settings.hitl_timeout_seconds,
        on_hitl_timeout=settings.on_hitl_timeout,
    )


@router.get("/{job_id}/prompt", response_model=PromptResponse)
async def get_prompt(job_id: str, gateway: GatewayDep, caller: CallerDep) -> ModelResponse:
    view = await gateway.view(job_id, caller.owner_scope, watched=True)
    return ModelResponse(PromptResponse(job_id=view.job_id, status=view.status,
                                        prompt=view.prompt))


@router.post("/{job_id}/response", response_model=AnswerResponse)
async def post_response(
    job_id: str, body: AnswerRequest, gateway: GatewayDep, caller: CallerDep,
    limits: LimitsDep,
    wait: Annotated[float, wait_query(
        "the answer led to the next prompt (then in `prompt`) or to the job's end",
        "the answer is taken")] = 0,
) -> AnswerResponse:
    # Without a caller-chosen id, this request still retries safely inside Temporal.
    # The reviewer named as the author of an edit is the caller (open mode: the job's user).
    response = HitlResponse(**body.model_dump(), wait_seconds=wait, answered_by=caller.user_id)
    response.response_id = body.response_id or uuid.uuid4().hex
    # A held reply takes one of the caller's wait slots (429 past the cap) until it ends.
    with limits.waits.hold(caller_key(caller)) if wait else nullcontext():
        ack = await gateway.answer(job_id, response, caller.owner_scope)
    return AnswerResponse(
        job_id=job_id, prompt_id=ack.prompt_id, response_id=response.response_id,
        action=ack.action, status=ack.status, duplicate=ack.duplicate, prompt=ack.prompt,
    )
