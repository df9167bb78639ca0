"""Creating, reading, listing and cancelling skill jobs."""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.auth import Caller, CallerDep
from api.create_wait import hold_until_prompt, wait_query
from api.deps import GatewayDep, SettingsDep
from api.errors import ApiError
from api.idempotency import fingerprint, job_id_for
from api.limits import LimitsDep, caller_key
from api.responses import JsonResponse, ModelResponse
from api.schemas import (
    WEBHOOK_URL_FIELD,
    CancelResponse,
    CreateJobRequest,
    CreateJobResponse,
    CreateJobWaitResponse,
    JobDetail,
    JobList,
    same_named,
)
from common.job_terms import USER_ID_PATTERN
from common.settings import Settings
from common.webhook_hosts import host_allowed
from workflows.lean_history import HISTORY_FORMAT
from workflows.models import JobInput, JobStatus, Phase, RewindAck, RewindRequest

router = APIRouter()


@router.post("/skills/create", status_code=status.HTTP_202_ACCEPTED,
             response_model=CreateJobWaitResponse,
             response_description="`{job_id, status}`; with `?wait=` also `prompt`.")
async def create_job(
    body: CreateJobRequest,
    gateway: GatewayDep,
    settings: SettingsDep,
    caller: CallerDep,
    limits: LimitsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    wait: Annotated[float, wait_query(
        "the job's first prompt exists (then in `prompt`) or the job ended",
        "the job is started")] = 0,
) -> ModelResponse:
    owner = _owner_for_create(body, caller)
    _check_webhook_host(body, settings)
    job_id = job_id_for(owner, idempotency_key) if idempotency_key is not None else None
    # A held reply takes one of the caller's wait slots, before anything starts: at the cap
    # the create is refused (429) rather than started and then refused.
    with limits.waits.hold(caller_key(caller)) if wait else nullcontext():
        # The owner's creates run one at a time, so the rate and the active-job cap hold
        # under a burst (api/limits.py); a retry naming an existing job is neither charged
        # nor refused.
        async with limits.create(owner, may_exist=job_id is not None) as admission:
            if job_id is None or not await gateway.exists(job_id):
                await admission.check(gateway)
            job = _job_input(body, owner, job_id or str(uuid.uuid4()), settings)
            existing = await gateway.start(job, fingerprint(owner, body) if job_id else None)
            admission.started(job.job_id)
        state = existing.status if existing else JobStatus.PENDING
        if not wait:
            return ModelResponse(CreateJobResponse(job_id=job.job_id, status=state),
                                 status_code=status.HTTP_202_ACCEPTED)
        # Outside the owner's create lock: a held reply must not queue their next create.
        view = await hold_until_prompt(gateway, job.job_id, owner, wait, existing)
    return ModelResponse(
        CreateJobWaitResponse(job_id=job.job_id, status=view.status if view else state,
                              prompt=view.prompt if view else None),
        status_code=status.HTTP_202_ACCEPTED)


def _job_input(body: CreateJobRequest, owner: str, job_id: str, settings: Settings) -> JobInput:
    """The job as asked for, with this server's policy where the request leaves a choice."""
    return JobInput(
        job_id=job_id,
        user_id=owner,
        **same_named(body, _ASKED),
        hitl_timeout_seconds=body.hitl_timeout_seconds or settings.hitl_timeout_seconds,
        on_hitl_timeout=body.on_hitl_timeout or settings.on_hitl_timeout,
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
        **same_named(settings, _SERVER_POLICY),
        reminder_offsets_seconds=settings.reminder_offsets,
        escalation_group=settings.hitl_escalation_group,
        # The operator's receiver is resolved by the worker; the job only says it wants it.
        operator_webhook=bool(settings.webhook_url),
        judge=bool(settings.judge_model and settings.judge_model.strip()),
        history_format=HISTORY_FORMAT,
        created_at=datetime.now(UTC),  # the job's first view shows it (`workflows.start_view`)
    )


# What a job takes from its request and from the server's settings under the same names.
_ASKED = ("task_description", "enable_hitl_confirm", "enable_hitl_preview", "enable_hitl_review")
_SERVER_POLICY = ("max_revisions", "pass_threshold", "promotion_window_seconds",
                  "escalate_before_seconds", "auto_refine_max")


def _check_webhook_host(body: CreateJobRequest, settings: Settings) -> None:
    """A job's own webhook must name an allow-listed host: the worker POSTs from inside."""
    url = body.webhook_url
    if url is None or host_allowed(url.host, settings.webhook_allowed_hosts):
        return
    why = (f"the host {url.host!r} is not in SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS"
           if settings.webhook_allowed_hosts
           else "this server accepts no per-job webhook URLs (SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS "
                "is empty)")
    message = f"{WEBHOOK_URL_FIELD}: {why}; events go to the operator's receiver, if any"
    raise ApiError(422, message, errors=[{"loc": ["body", WEBHOOK_URL_FIELD], "msg": why,
                                          "type": "webhook_host_not_allowed"}])


def _owner_for_create(body: CreateJobRequest, caller: Caller) -> str:
    """The key's user owns the job; only admins may create for someone else."""
    if caller.open_mode or caller.user_id is None:
        return body.user_id or "default"
    if body.user_id and body.user_id != caller.user_id and not caller.is_admin:
        raise ApiError(403, f"Your API key belongs to {caller.user_id!r}; you cannot create "
                            f"jobs as {body.user_id!r}.")
    return body.user_id if caller.is_admin and body.user_id else caller.user_id


@router.get("/jobs", response_model=JobList)
async def list_jobs(
    gateway: GatewayDep,
    caller: CallerDep,
    status: JobStatus | None = None,
    user_id: Annotated[str | None, Query(pattern=USER_ID_PATTERN)] = None,
    phase: Phase | None = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> JobList:
    if caller.owner_scope is not None:
        if user_id not in (None, caller.owner_scope):
            return JobList(jobs=[], next_page_token=None)
        user_id = caller.owner_scope
    jobs, next_token = await gateway.list(
        status=status, user_id=user_id, phase=phase, page_size=page_size, page_token=page_token
    )
    return JobList(jobs=jobs, next_page_token=next_token)


@router.get("/jobs/{job_id}", response_model=JobDetail)
async def get_job(job_id: str, gateway: GatewayDep, caller: CallerDep) -> JsonResponse:
    return JsonResponse(await gateway.view_json(job_id, caller.owner_scope))


@router.post("/jobs/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED,
             response_model=CancelResponse)
async def cancel_job(job_id: str, gateway: GatewayDep, caller: CallerDep) -> CancelResponse:
    await gateway.cancel(job_id, caller.owner_scope)
    return CancelResponse(job_id=job_id, status="cancelling")


@router.post("/jobs/{job_id}/rewind", response_model=RewindAck)
async def rewind_job(
    job_id: str, body: RewindRequest, gateway: GatewayDep, caller: CallerDep
) -> RewindAck:
    """Send a job waiting at a checkpoint back to the start of a phase, with edits."""
    return await gateway.rewind(job_id, body, caller.owner_scope)
