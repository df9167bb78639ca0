"""The Jobs page `/ui/jobs`: the caller's jobs (admins: everyone's), filtered and paged.

Filters and the page token live in the URL (a GET form), so a filtered list can be
bookmarked, shared and reloaded. The list comes from visibility through the gateway's
`list`, with the API's ownership rule: a user sees only their own jobs, and a `user`
filter naming someone else shows nothing. A bad filter is a 422 page saying which.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import UncheckedGatewayDep
from api.errors import ApiError
from api.ui.render import page
from api.ui.routes import UiCallerDep, UiRoute, ready
from common.job_terms import USER_ID_PATTERN
from workflows.models import JobStatus, Phase

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
PAGE_SIZE = 50
MAX_TOKEN_CHARS = 4096


def _choice(name: str, value: str | None, allowed: list[str]) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise ApiError(422, f"Filter {name} must be one of: {', '.join(allowed)} "
                            f"(not {value[:40]!r}).")
    return value


@router.get("/jobs")
async def jobs(request: Request, gateway: UncheckedGatewayDep, caller: UiCallerDep,
               status: str | None = None, phase: str | None = None, user: str | None = None,
               page_token: str | None = None) -> Response:
    gateway = await ready(request, gateway)
    statuses = [s.value for s in JobStatus]
    phases = [p.value for p in Phase]
    chosen = {"status": _choice("status", status, statuses),
              "phase": _choice("phase", phase, phases),
              "user": (user or "").strip() or None}
    if chosen["user"] and not re.fullmatch(USER_ID_PATTERN, chosen["user"]):
        raise ApiError(422, "Filter user must be a user id (letters, digits, . _ @ -).")
    if page_token and len(page_token) > MAX_TOKEN_CHARS:
        raise ApiError(422, "The page token is too long.")
    owner = caller.owner_scope
    if owner is not None and chosen["user"] not in (None, owner):
        found, next_token = [], None  # another user's jobs: none, as the API answers
    else:
        found, next_token = await gateway.list(
            status=JobStatus(chosen["status"]) if chosen["status"] else None,
            user_id=owner or chosen["user"],
            phase=Phase(chosen["phase"]) if chosen["phase"] else None,
            page_size=PAGE_SIZE, page_token=page_token or None)
    kept = {k: v for k, v in chosen.items() if v}
    return page(request, "jobs.html", {
        "jobs": found, "filters": chosen, "statuses": statuses, "phases": phases,
        "is_admin": owner is None,
        "next_url": f"/ui/jobs?{urlencode({**kept, 'page_token': next_token})}"
                    if next_token else None,
        "first_url": f"/ui/jobs?{urlencode(kept)}" if page_token else None,
    })
