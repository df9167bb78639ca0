"""The reviewer page's routes under /ui/: sign-in, the inbox, a job and its answer form.

The routes call the same JobGateway as the API (through `api.deps.get_gateway`, so the
tests' fake gateway applies too) with the caller's owner scope, so the ownership rules
are the API's: another user's job is a 404. Forms post back here and redirect (POST,
redirect, GET); an answer the gateway refuses (409 stale, 422 invalid) is shown in words
next to the form, which keeps what the reviewer typed.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.auth import Caller, hash_key
from api.deps import UncheckedGatewayDep
from api.errors import ApiError
from api.job_gateway import JobGateway
from api.limits import LimitExceeded, Slot, caller_key, get_limits
from api.schemas import AnswerRequest
from api.ui.checkpoints import checkpoint_context, form_hints
from api.ui.finding_lines import link_findings, validated_source
from api.ui.inbox_view import SORTS, TYPES, InboxQuery, read_inbox
from api.ui.job_forms import JobActions, job_actions
from api.ui.render import page, secure
from api.ui.schema_form import AnswerForm, FormInput, answer_errors, build_form, read_answer
from api.ui.session import (
    current_session,
    open_mode,
    replace_session,
    session_caller,
    sessions,
    write_cookie,
)
from api.ui.signin_limit import SignInLimiter
from workflows.models import HitlAction, HitlResponse, JobView, Phase

# An answer's POST waits up to this long for the next prompt, so the page it redirects to
# usually shows it already (the API's `?wait=`, counted against the same per-user cap).
ANSWER_WAIT_SECONDS = 15.0
STALE = ("This prompt was already answered (in another tab, by another reviewer, or "
         "through the API), or its deadline passed. The page now shows the job as it is.")


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in form."""


class CsrfRefused(Exception):
    """A form without this session's CSRF token."""


class UiRoute(APIRoute):
    """Every UI response gets the security headers; failures become pages, not JSON."""

    def get_route_handler(self):  # type: ignore[no-untyped-def]
        handler = super().get_route_handler()

        async def ui_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                response = RedirectResponse("/ui/sign-in", status_code=303)
                write_cookie(request, response)
            except CsrfRefused:
                response = page(request, "error.html", {
                    "title": "Form expired", "message": "This form is not from this page's "
                    "session (it expired, or it came from another site). Reload the page "
                    "and try again."}, status_code=403)
            except ApiError as err:
                response = page(request, "error.html", {
                    "title": "Not found" if err.status_code == 404 else "Error",
                    "message": err.error}, status_code=err.status_code)
            return secure(response)

        return ui_handler


router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


async def ui_caller(request: Request) -> Caller:
    caller = session_caller(request)
    if caller is None:
        if current_session(request).user_id:  # signed in once, key revoked since
            replace_session(request, sessions(request).new())
        raise SignInRequired
    request.state.ui_caller = caller
    return caller


UiCallerDep = Annotated[Caller, Depends(ui_caller)]


async def ready(request: Request, gateway: JobGateway) -> JobGateway:
    """The gateway once the namespace is known good, as the API's GatewayDep checks."""
    guard = getattr(request.app.state, "namespace_guard", None)
    if guard is not None:
        await guard.require_ready()
    return gateway


async def posted_to_job(request: Request, gateway: JobGateway, job_id: str,
                        caller: Caller) -> tuple[FormInput, JobGateway, JobView]:
    """A form posted to a job's page: the form (CSRF checked), the ready gateway, and the
    job as the caller may see it (another user's job: 404)."""
    form = await read_form(request)
    gateway = await ready(request, gateway)
    return form, gateway, await gateway.view(job_id, caller.owner_scope)


async def read_form(request: Request) -> FormInput:
    """An urlencoded form (the only kind these pages send), after its CSRF check."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise ApiError(415, "Send the form as application/x-www-form-urlencoded.")
    try:
        form = FormInput(parse_qsl((await request.body()).decode(), keep_blank_values=True,
                                   max_num_fields=500))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "The form could not be read.") from None
    if not sessions(request).csrf_ok(current_session(request), form.get("csrf")):
        raise CsrfRefused
    return form


@router.get("")
async def ui_root() -> Response:
    return RedirectResponse("/ui/", status_code=308)


# ----------------------------------------------------------------------------- sign-in


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    if open_mode(request) or session_caller(request) is not None:
        return RedirectResponse("/ui/", status_code=303)
    return page(request, "sign_in.html", {"error": None})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    if open_mode(request):
        return RedirectResponse("/ui/", status_code=303)
    limiter: SignInLimiter = request.app.state.ui_signin_limiter
    address = request.client.host if request.client else "local"
    wait = limiter.retry_after(address)
    if wait is not None:
        response = page(request, "sign_in.html", {
            "error": f"Too many failed sign-ins from your address; try again in "
                     f"{math.ceil(wait) or 1} s."}, status_code=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    key = form.get("api_key").strip()
    try:
        caller = request.app.state.api_keys.caller(f"Bearer {key}")
    except ApiError:
        limiter.failed(address)
        return page(request, "sign_in.html", {"error": "That API key is not valid."},
                    status_code=401)
    limiter.succeeded(address)
    # A new session (new nonce): nothing planted before sign-in carries over.
    replace_session(request, sessions(request).new(
        user_id=caller.user_id, role=caller.role, key_sha256=hash_key(key)))
    response = RedirectResponse("/ui/", status_code=303)
    write_cookie(request, response)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await read_form(request)
    replace_session(request, sessions(request).new())
    response = RedirectResponse("/ui/sign-in", status_code=303)
    write_cookie(request, response)
    return response


# ----------------------------------------------------------------------------- inbox


@router.get("/")
async def inbox(request: Request, gateway: UncheckedGatewayDep, caller: UiCallerDep) -> Response:
    """Every prompt waiting for this reviewer (admins: everyone's), filtered and sorted as
    the URL says (api/ui/inbox_view.py)."""
    query = InboxQuery.parse(request.query_params)
    gateway = await ready(request, gateway)
    prompts, more = await read_inbox(gateway, caller.owner_scope, query)
    return page(request, "inbox.html", {
        "prompts": prompts, "more": more, "query": query, "qs": query.query_string(),
        "types": TYPES, "sorts": SORTS, "is_admin": caller.owner_scope is None})


# ----------------------------------------------------------------------------- a job


async def job_page(request: Request, gateway: JobGateway, view: JobView, *,
                   form: AnswerForm | None = None, error: str | None = None,
                   status_code: int = 200, notice: str | None = None,
                   actions: JobActions | None = None) -> Response:
    """The job page; `actions` (promote, rewind) default to what the job's state offers."""
    prompt = view.prompt
    context: dict[str, Any] = {"job": view, "prompt": prompt, "error": error,
                               "notice": notice, "checkpoint": None, "form": None,
                               "response_id": uuid.uuid4().hex, "events": [],
                               "events_error": None, "web_ui": web_ui_link(request, view),
                               "last_seq": view.events_count,
                               "actions": actions or job_actions(
                                   view, getattr(request.state, "ui_caller", None))}
    if prompt is not None:
        context["checkpoint"] = checkpoint = checkpoint_context(prompt)
        if any(f.get("lines") for f in checkpoint.get("findings") or []):  # validate
            caller = getattr(request.state, "ui_caller", None)
            source = await validated_source(gateway, view.job_id, view.versions_count,
                                            caller.owner_scope if caller else None)
            checkpoint["findings"], checkpoint["source_lines"] = link_findings(
                checkpoint["findings"], source)
        context["form"] = form or build_form(prompt.answer_schema,
                                             [a.value for a in prompt.actions],
                                             hints=form_hints(prompt))
    try:
        context["events"] = (await gateway.fetch_events(view.job_id, 0)).events
        if context["events"]:  # the live stream goes on after the last one shown
            context["last_seq"] = context["events"][-1].seq
    except ApiError as err:  # the query needs a worker; the rest of the page does not
        context["events_error"] = err.error
    return page(request, "job.html", context, status_code=status_code)


def web_ui_link(request: Request, view: JobView) -> str | None:
    settings = request.app.state.settings
    base = (settings.temporal_ui_url or "").rstrip("/")
    if not base:
        return None
    return f"{base}/namespaces/{settings.temporal_namespace}/workflows/{view.job_id}"


@router.get("/jobs/{job_id}")
async def job(job_id: str, request: Request, gateway: UncheckedGatewayDep,
              caller: UiCallerDep, answered: str | None = None,
              created: str | None = None, promoted: str | None = None,
              rewound: str | None = None) -> Response:
    gateway = await ready(request, gateway)
    view = await gateway.view(job_id, caller.owner_scope)
    notice = f"Your answer ({answered}) was taken." if answered in set(HitlAction) else None
    if created:
        notice = "The job was created."
    elif promoted and view.final_path:
        notice = f"Promoted to {view.final_path}."
    elif rewound in set(Phase):
        notice = f"Rewound to {rewound}."
    return await job_page(request, gateway, view, notice=notice)


@router.post("/jobs/{job_id}/answer")
async def answer(job_id: str, request: Request, gateway: UncheckedGatewayDep,
                 caller: UiCallerDep) -> Response:
    form, gateway, view = await posted_to_job(request, gateway, job_id, caller)
    prompt = view.prompt
    if prompt is None or str(prompt.prompt_id) != form.get("prompt_id"):
        return await job_page(request, gateway, view, error=STALE, status_code=409)
    form_def = build_form(prompt.answer_schema, [a.value for a in prompt.actions],
                          hints=form_hints(prompt))
    action = form.get("action")
    if action not in form_def.actions:
        return await job_page(request, gateway, view, form=form_def, status_code=422,
                              error=f"Choose one of: {', '.join(form_def.actions)}.")
    fields = read_answer(form_def, form)
    if action == HitlAction.CANCEL:  # cancelling needs no answers, only an optional note
        fields = {k: v for k, v in fields.items() if k == "feedback"}
    body = {"action": action, **fields}
    invalid = any(f.error for f in form_def.walk()) or bool(form_def.errors)
    if answer_errors(prompt.answer_schema, body, form_def) or invalid:
        return await job_page(request, gateway, view, form=form_def, status_code=422,
                              error="The answer does not fit this prompt; see the marked "
                                    "fields.")
    try:
        checked = AnswerRequest(prompt_id=prompt.prompt_id,
                                response_id=form.get("response_id") or None, **body)
    except ValidationError as err:
        words = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}"
                          for e in err.errors()[:5])
        return await job_page(request, gateway, view, form=form_def, status_code=422,
                              error=f"The answer was refused: {words}")
    response = HitlResponse(**checked.model_dump(), answered_by=caller.user_id)
    limits = await get_limits(request)
    try:  # the wait holds one of the user's wait slots; past the cap, the answer waits not
        wait_slot: Slot | None = limits.waits.acquire(caller_key(caller))
        response.wait_seconds = ANSWER_WAIT_SECONDS
    except LimitExceeded:
        wait_slot = None
    try:
        await gateway.answer(job_id, response, caller.owner_scope)
    except ApiError as err:
        if err.status_code not in (409, 422):
            raise
        current = await gateway.view(job_id, caller.owner_scope)
        stale = err.status_code == 409
        message = f"{STALE} ({err.error})" if stale else f"The answer was refused: {err.error}"
        return await job_page(request, gateway, current, form=None if stale else form_def,
                              error=message, status_code=err.status_code)
    finally:
        if wait_slot:
            wait_slot.release()
    return RedirectResponse(f"/ui/jobs/{view.job_id}?answered={action}", status_code=303)
