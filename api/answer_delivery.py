"""Delivering an answer: one update, no describe before it (issue 27).

The update carries the caller (`HitlResponse.caller`) and the workflow's validator refuses
anyone but the job's owner or an admin with `not_found`, which becomes the same 404 as a
job that does not exist (never a 403 that would say it does). The job is read only when
the update fails in a way that needs it (no such job or a closed run, no worker, a worker
from before the caller field) and, for a `?wait=` reply that names the next prompt, to
read that prompt from the memo: the update's reply carries only its id, so the prompt's
report and files are not written to the history a second time.

A `?wait=` reply is bounded here, not in the workflow (a timer there costs two history
events per answer): the update is sent, accepted, and its result awaited for at most the
wait; when the wait runs out first, the reply is the job as the memo shows it then, as the
workflow used to reply when its own wait ran out. The update itself ends with the next
prompt or the job's end, which always come.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.errors import ApiError
from api.refusal_status import REFUSAL_STATUS, published_reason
from api.temporal_errors import job_missing, temporal_error
from workflows import names
from workflows.hitl import NOT_FOUND
from workflows.models import AnswerCaller, HitlAck, HitlAction, HitlResponse

if TYPE_CHECKING:
    from api.job_gateway import JobGateway

# How a worker from before `HitlResponse.caller` refuses an answer that carries it: its
# model forbids the unknown field, so the SDK rejects the update before any validator
# (a rejected update writes nothing). The API then checks ownership itself, as it used to.
OLD_WORKER_REFUSAL = "Failed decoding arguments"


def update_id(response: HitlResponse) -> str:
    """The update's id: a retry with the same response id is the same update, whose first
    reply Temporal returns without running the validator again. So the id names the caller
    too: another user's update with a guessed response id is a new update, which the
    validator refuses. (Temporal's dedup is per id; the workflow's own, by response id,
    still makes a retry across callers a `duplicate`.)"""
    caller = response.caller
    if caller is None:
        return f"answer-{response.response_id}"
    if caller.admin:
        return f"answer-a-{response.response_id}"
    user = hashlib.sha256((caller.user_id or "").encode()).hexdigest()[:16]
    return f"answer-u{user}-{response.response_id}"


class _OldWorker(Exception):
    """The worker cannot read `HitlResponse.caller`."""


async def deliver_answer(gateway: JobGateway, handle: WorkflowHandle[Any, Any], job_id: str,
                         response: HitlResponse, owner: str | None, *,
                         rpc_timeout: timedelta) -> HitlAck:
    """The answer's reply, with the next prompt read from the memo if it names one.

    `owner` is the caller's owner scope: their user id, or None for an admin.
    """
    checked = response.model_copy(update={
        "caller": AnswerCaller(user_id=owner, admin=owner is None)})
    try:
        ack = await _send(gateway, handle, job_id, checked, owner, rpc_timeout)
    except _OldWorker:
        await gateway.require_running(job_id, owner, allow_finished_job=True)
        ack = await _send(gateway, handle, job_id, response, owner, rpc_timeout)
    if ack is None:
        return await _wait_ran_out(gateway, job_id, response, owner)
    if ack.prompt is not None or ack.next_prompt_id is None:
        return ack  # no next prompt, or an older worker's reply that carries it
    current = (await gateway.view(job_id, owner)).prompt
    # The memo was written in the workflow task that replied: it shows that prompt, or a
    # later one if someone answered in between (then the latest is the useful one).
    if current is not None and current.prompt_id >= ack.next_prompt_id:
        return ack.model_copy(update={"prompt": current})
    return ack


async def _wait_ran_out(gateway: JobGateway, job_id: str, response: HitlResponse,
                        owner: str | None) -> HitlAck:
    """The reply when `?wait` ran out before the next prompt: the answer was taken, the
    job is as the memo shows it (with a later prompt if one was raised just now)."""
    view = await gateway.view(job_id, owner)
    later = view.prompt if view.prompt and view.prompt.prompt_id > response.prompt_id else None
    return HitlAck(prompt_id=response.prompt_id, response_id=response.response_id,
                   action=response.normalized_action() or HitlAction.PROCEED,
                   status=view.status, prompt=later,
                   next_prompt_id=later.prompt_id if later else None)


async def _held_result(update: WorkflowUpdateHandle[HitlAck], wait: float) -> HitlAck | None:
    """The update's result if it comes within `wait` seconds, else None (it still ends in
    the workflow; nobody reads it)."""
    task = asyncio.ensure_future(update.result())
    try:
        done, _ = await asyncio.wait({task}, timeout=wait)
    finally:  # the wait ran out, or the request itself was cancelled: stop polling
        if not task.done():
            task.cancel()
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return task.result() if task in done else None


async def _send(gateway: JobGateway, handle: WorkflowHandle[Any, Any], job_id: str,
                response: HitlResponse, owner: str | None,
                rpc_timeout: timedelta) -> HitlAck | None:
    """The update's reply; None when a `?wait` ran out first."""
    try:
        if response.wait_seconds <= 0:
            return await handle.execute_update(
                names.UPDATE_SUBMIT_HITL_RESPONSE, response, id=update_id(response),
                result_type=HitlAck, rpc_timeout=rpc_timeout)
        update = await handle.start_update(
            names.UPDATE_SUBMIT_HITL_RESPONSE, response, id=update_id(response),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=HitlAck,
            rpc_timeout=rpc_timeout)
        return await _held_result(update, response.wait_seconds)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        if kind == NOT_FOUND:
            raise ApiError(404, f"Job {job_id} not found.") from err
        if isinstance(cause, ApplicationError) and kind in REFUSAL_STATUS:
            raise ApiError(REFUSAL_STATUS[kind], cause.message,
                           reason=published_reason(kind)) from err
        if response.caller is not None and OLD_WORKER_REFUSAL in str(cause or ""):
            raise _OldWorker from err
        await gateway.view(job_id, owner)  # another user's job (or another type): 404
        raise ApiError(409, f"The answer was not applied: {cause or err}") from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        await gateway.view(job_id, owner)  # a 503 must not tell another user the job exists
        raise ApiError(
            503,
            "No worker took the answer in time. It may still be applied; retry with the "
            "same response_id to be safe.",
            response_id=response.response_id,
        ) from err
    except RPCError as err:
        if job_missing(err):  # no such job (404), or its run has closed (409)
            await gateway.require_running(job_id, owner, allow_finished_job=True)
            raise ApiError(409, "The job has already finished.") from err
        raise temporal_error(err) from err
