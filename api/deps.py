"""FastAPI dependencies: settings and the Temporal gateway, created once per app.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in its thread pool,
a thread hop per dependency per request for what is an attribute read (seen in py-spy).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import CallerDep
from api.job_gateway import JobGateway
from common.settings import Settings


async def app_settings(request: Request) -> Settings:
    """The settings the app was created with (not the environment's: see `create_app`)."""
    return request.app.state.settings


async def get_gateway(request: Request) -> JobGateway:
    return request.app.state.gateway


async def get_ready_gateway(
    request: Request, gateway: Annotated[JobGateway, Depends(get_gateway)], _caller: CallerDep
) -> JobGateway:
    """The gateway once the namespace is known good (`api.namespace_guard`), else a 503.

    After the caller's key is checked, so anonymous callers learn nothing about Temporal.
    """
    guard = getattr(request.app.state, "namespace_guard", None)
    if guard is not None:
        await guard.require_ready()
    return gateway


SettingsDep = Annotated[Settings, Depends(app_settings)]
GatewayDep = Annotated[JobGateway, Depends(get_ready_gateway)]
# /health: reports the guard's state itself instead of failing on it.
UncheckedGatewayDep = Annotated[JobGateway, Depends(get_gateway)]
