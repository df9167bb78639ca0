"""FastAPI dependencies: settings and the Temporal gateway, created once per app.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in its thread pool,
a thread hop per dependency per request for what is an attribute read (seen in py-spy).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.job_gateway import JobGateway
from common.settings import Settings


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_gateway(request: Request) -> JobGateway:
    return request.app.state.gateway


SettingsDep = Annotated[Settings, Depends(get_settings)]
GatewayDep = Annotated[JobGateway, Depends(get_gateway)]
