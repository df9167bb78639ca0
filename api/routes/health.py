"""Liveness of the API, reachability of Temporal and the state of its namespace."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import UncheckedGatewayDep
from api.schemas import Health
from common.namespace_check import NamespaceMisconfigured

router = APIRouter()


def _degraded(temporal: str, detail: str | None = None) -> JSONResponse:
    body = Health(status="degraded", temporal=temporal, detail=detail)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=503)


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request, gateway: UncheckedGatewayDep) -> JSONResponse:
    guard = getattr(request.app.state, "namespace_guard", None)
    problem = await guard.problem() if guard is not None else None
    if isinstance(problem, NamespaceMisconfigured):
        # e.g. "namespace misconfigured: missing search attributes SkillJobUser, ..."
        return _degraded("misconfigured", problem.summary)
    if problem is None and await gateway.healthy():
        return JSONResponse(Health(status="ok", temporal="reachable").model_dump(exclude_none=True))
    return _degraded("unreachable")
