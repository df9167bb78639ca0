"""The FastAPI facade: `uvicorn api.app:app`, or `create_app()` for tests and embedding."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api.auth import ApiKeys
from api.body_limit import BodySizeLimitMiddleware
from api.errors import RequestIdMiddleware, install_error_handlers
from api.job_gateway import JobGateway
from api.routes import drafts, events, health, hitl, inbox, jobs, skills
from common.settings import Settings, get_settings
from common.temporal import connect

API_PREFIX = "/api/v2"
log = logging.getLogger("skill_fleet.api")


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Lazy: the API starts (and /health says 503) even while Temporal is down.
        temporal = client or await connect(settings, lazy=True)
        app.state.settings = settings
        app.state.gateway = JobGateway(temporal, settings)
        app.state.api_keys = ApiKeys.from_settings(settings)
        if not app.state.api_keys.configured:
            log.warning(
                "OPEN LOCAL MODE: no API keys configured (SKILL_FLEET_API_KEYS_FILE); every "
                "caller is an admin. Bind to loopback only (SKILL_FLEET_API_HOST=%s).",
                settings.api_host,
            )
        log.info("API ready; Temporal at %s, namespace %s, task queue %s",
                 settings.temporal_address, settings.temporal_namespace, settings.task_queue)
        yield

    app = FastAPI(
        title="skill-fleet",
        version="2.0",
        description="Turn a task description into an Agent Skill, with a human in the loop.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(jobs.router, prefix=API_PREFIX)
    app.include_router(hitl.router, prefix=API_PREFIX)
    app.include_router(events.router, prefix=API_PREFIX)
    app.include_router(inbox.router, prefix=API_PREFIX)
    app.include_router(drafts.router, prefix=API_PREFIX)
    app.include_router(skills.router, prefix=API_PREFIX)
    return app


app = create_app()
