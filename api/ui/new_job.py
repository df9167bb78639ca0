"""The New page `/ui/new`: create a job with its checkpoint options.

The form is drawn from `CreateJobRequest`, the model the JSON create route validates with
(`api/ui/model_form.py`), and a valid form goes through that route's own function
(`api.routes.jobs.create_job`), so ownership, the per-job webhook allow-list, the create
rate and the active-job cap are the API's. The form carries a request id used as the
create's Idempotency-Key: sending the same form twice (a double click, a reload of the
POST) makes one job. What is refused is shown on the form, which keeps what was typed;
a created job redirects to its page.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.auth import Caller
from api.deps import UncheckedGatewayDep
from api.errors import ApiError
from api.limits import get_limits
from api.routes.jobs import create_job
from api.schemas import CreateJobRequest
from api.ui.model_form import model_form, place_api_error, read_model
from api.ui.render import page, span
from api.ui.routes import UiCallerDep, UiRoute, read_form, ready
from api.ui.schema_form import AnswerForm, Choice
from common.settings import Settings

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
MAX_REQUEST_ID = 128


def create_hints(settings: Settings) -> dict[str, dict[str, Any]]:
    """Words for the create options; defaults are the server's settings."""
    timeout = settings.hitl_timeout_seconds
    on_timeout = settings.on_hitl_timeout.value
    return {
        "task_description": {"label": "What should the skill do?", "multiline": True,
                             "help": "The task in your words, 10 to 4000 characters."},
        "user_id": {"label": "Owner (user id)",
                    "help": "Whose job and skill this is; empty: yours "
                            "('default' in open local mode)."},
        "enable_hitl_confirm": {"label": "Confirm the plan before the skill is written "
                                         "(confirm checkpoint)"},
        "enable_hitl_preview": {"label": "Review the draft SKILL.md before it is validated "
                                         "(preview checkpoint)"},
        "enable_hitl_review": {"label": "Review the validation report even when it passes "
                                        "(validate checkpoint)"},
        "hitl_timeout_seconds": {"label": "Time to answer each prompt (seconds)",
                                 "help": f"Empty: {timeout:g} s ({span(timeout)})."},
        "on_hitl_timeout": {"label": "When a prompt's deadline passes",
                            "value": on_timeout,
                            "choices": [Choice("cancel", "Cancel the job"),
                                        Choice("proceed", "Go on as if proceeded")]},
        "webhook_url": {"label": "Webhook URL (optional)", "multiline": False},
    }


def create_form(caller: Caller, settings: Settings) -> AnswerForm:
    """Only admins and open local mode may name another owner; others leave it out."""
    others = caller.open_mode or caller.is_admin
    return model_form(CreateJobRequest, hints=create_hints(settings),
                      leave_out=() if others else ("user_id",))


def new_page(request: Request, form: AnswerForm, *, request_id: str | None = None,
             error: str | None = None, status_code: int = 200) -> Response:
    return page(request, "new.html", {"form": form, "error": error,
                                      "request_id": request_id or uuid.uuid4().hex},
                status_code=status_code)


@router.get("/new")
async def new_job_form(request: Request, caller: UiCallerDep) -> Response:
    return new_page(request, create_form(caller, request.app.state.settings))


@router.post("/new")
async def new_job(request: Request, gateway: UncheckedGatewayDep,
                  caller: UiCallerDep) -> Response:
    form = await read_form(request)
    settings: Settings = request.app.state.settings
    form_def = create_form(caller, settings)
    request_id = form.get("request_id").strip()[:MAX_REQUEST_ID] or None
    body = read_model(CreateJobRequest, form_def, form)
    if body is None:
        return new_page(request, form_def, request_id=request_id, status_code=422,
                        error="The job was not created; see the marked fields.")
    gateway = await ready(request, gateway)
    try:
        created = await create_job(body, gateway, settings, caller, await get_limits(request),
                                   idempotency_key=request_id)
    except ApiError as err:
        place_api_error(form_def, err)
        return new_page(request, form_def, request_id=request_id,
                        error=f"The job was not created: {err.error}",
                        status_code=err.status_code)
    return RedirectResponse(f"/ui/jobs/{created_id(created)}?created=1", status_code=303)


def created_id(reply: Any) -> str:
    """The job id from the create route's reply (a model, or its JSON as a response)."""
    if isinstance(reply, Response):
        return str(json.loads(bytes(reply.body))["job_id"])
    return str(reply.job_id)
