"""Promote and rewind from the job page: `POST /ui/jobs/{id}/promote` and `.../rewind`.

Each form is read into the API's own request model (`api/ui/job_forms.py`) and handed
to the JSON route's function (`api.routes.drafts.promote_draft`,
`api.routes.jobs.rewind_job`), so who may force, overwrite or rewind, and when, is
decided where the API decides it. A refusal (400 validation failed, 403 not yours,
409 already there or not waiting, 422 revision limit, ...) is shown in words next to
the form, which keeps what was chosen; success redirects to the job page, which says
what happened.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.auth import Caller
from api.deps import UncheckedGatewayDep
from api.errors import ApiError
from api.job_gateway import JobGateway
from api.routes.drafts import promote_draft
from api.routes.jobs import rewind_job
from api.schemas import PromoteBody
from api.ui.job_forms import JobActions, can_promote, can_rewind, promote_form, rewind_form
from api.ui.model_form import place_api_error, read_model
from api.ui.routes import UiCallerDep, UiRoute, job_page, posted_to_job
from api.ui.schema_form import AnswerForm
from workflows.models import JobView, RewindRequest

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.post("/jobs/{job_id}/promote")
async def promote(job_id: str, request: Request, gateway: UncheckedGatewayDep,
                  caller: UiCallerDep) -> Response:
    form, gateway, view = await posted_to_job(request, gateway, job_id, caller)
    form_def = promote_form(caller)
    body = read_model(PromoteBody, form_def, form)
    if body is None:
        return await job_page(request, gateway, view, status_code=422, actions=JobActions(
            promote=form_def, promote_error="Not promoted; see the marked fields."))
    try:
        await promote_draft(view.job_id, gateway, caller, body)
    except ApiError as err:
        return await _refused(request, gateway, job_id, caller, form_def, err,
                              lambda current, error: JobActions(
                                  promote=form_def if can_promote(current) else None,
                                  rewind=rewind_form() if can_rewind(current) else None,
                                  promote_error=f"Not promoted: {error}"))
    return RedirectResponse(f"/ui/jobs/{view.job_id}?promoted=1", status_code=303)


@router.post("/jobs/{job_id}/rewind")
async def rewind(job_id: str, request: Request, gateway: UncheckedGatewayDep,
                 caller: UiCallerDep) -> Response:
    form, gateway, view = await posted_to_job(request, gateway, job_id, caller)
    form_def = rewind_form()
    body = read_model(RewindRequest, form_def, form)
    if body is None:
        return await job_page(request, gateway, view, status_code=422, actions=JobActions(
            rewind=form_def, rewind_error="Not rewound; see the marked fields."))
    try:
        ack = await rewind_job(view.job_id, body, gateway, caller)
    except ApiError as err:
        return await _refused(request, gateway, job_id, caller, form_def, err,
                              lambda current, error: JobActions(
                                  rewind=form_def if can_rewind(current) else None,
                                  rewind_error=f"Not rewound: {error}"))
    return RedirectResponse(f"/ui/jobs/{view.job_id}?rewound={ack.to.value}", status_code=303)


async def _refused(request: Request, gateway: JobGateway, job_id: str, caller: Caller,
                   form_def: AnswerForm, err: ApiError,
                   actions: Callable[[JobView, str], JobActions]) -> Response:
    """The job page again after the API refused the form: the refusal on its fields, the
    forms that the job as it is now still offers (`actions`, told the refusal's words), and
    the refusal's status."""
    place_api_error(form_def, err)
    current = await gateway.view(job_id, caller.owner_scope)
    return await job_page(request, gateway, current, status_code=err.status_code,
                          actions=actions(current, err.error))
