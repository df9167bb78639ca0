"""One version of a job's skill: `/ui/jobs/{id}/versions/{n}`, with what changed since n-1.

The job page lists every version from the job's view (number, author, when, the
feedback it answered); this page reads version n and the one before with their files
through the gateway (`JobGateway.version`: the workflow's `get_version` query, one
version per call, owner-checked like every read) and shows version n's SKILL.md rendered
and as source, and its changes against the version before: SKILL.md side by side, then
each bundled file added, changed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import UncheckedGatewayDep
from api.errors import ApiError
from api.ui.diffs import Row, side_by_side
from api.ui.markdown_view import render_skill
from api.ui.render import page
from api.ui.routes import UiCallerDep, UiRoute, ready

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
MAX_VERSION = 1_000_000


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: Literal["added", "changed", "removed", "same"]
    rows: list[Row]


def file_changes(old: dict[str, str], new: dict[str, str]) -> list[FileChange]:
    """Each bundled file of either version, with its line diff where it changed."""
    changes = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        kind: Literal["added", "changed", "removed", "same"] = (
            "added" if before is None else "removed" if after is None
            else "same" if before == after else "changed")
        rows = [] if kind == "same" else side_by_side(before or "", after or "")
        changes.append(FileChange(path, kind, rows))
    return changes


@router.get("/jobs/{job_id}/versions/{number_text}")
async def version(job_id: str, number_text: str, request: Request,
                  gateway: UncheckedGatewayDep, caller: UiCallerDep) -> Response:
    gateway = await ready(request, gateway)
    view = await gateway.view(job_id, caller.owner_scope)  # another user's job: 404
    number = int(number_text) if number_text.isdigit() and len(number_text) < 8 else 0
    if not 1 <= number <= MAX_VERSION:
        raise ApiError(404, f"Job {view.job_id} has no version {number_text[:20]!r}.")
    current = await gateway.version(view.job_id, number, caller.owner_scope)
    if current is None:
        raise ApiError(404, f"Job {view.job_id} has no version {number} (it has "
                            f"{view.versions_count}).")
    # Versions are numbered 1, 2, ... with no gaps: one query each for n and n-1.
    previous = await gateway.version(view.job_id, number - 1, caller.owner_scope) \
        if number > 1 else None
    later = number + 1 if number < view.versions_count else None
    old_md = previous.content.skill_md if previous else None
    return page(request, "version.html", {
        "job": view, "version": current, "previous": previous, "next_number": later,
        "rendered": render_skill(current.content.skill_md, under_level=2),
        "rows": side_by_side(old_md, current.content.skill_md) if old_md is not None else None,
        "files": file_changes(previous.content.files if previous else {},
                              current.content.files),
        "count": max(view.versions_count, number),
    })
