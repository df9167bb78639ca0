"""Liveness of the API and reachability of Temporal."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import GatewayDep
from api.schemas import Health

router = APIRouter()


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(gateway: GatewayDep) -> JSONResponse:
    if await gateway.healthy():
        return JSONResponse(Health(status="ok", temporal="reachable").model_dump())
    return JSONResponse(Health(status="degraded", temporal="unreachable").model_dump(),
                        status_code=503)
