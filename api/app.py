"""The FastAPI facade: `uvicorn api.app:app`, or `create_app()` for tests and embedding."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api.auth import KeysConfigError, runs_open
from api.body_limit import BodySizeLimitMiddleware
from api.errors import RequestIdMiddleware, install_error_handlers
from api.job_gateway import JobGateway
from api.keys_reload import ReloadingApiKeys
from api.local_guard import LocalGuardMiddleware, open_mode_bind_error
from api.metrics import METRICS_PATH, RequestTelemetryMiddleware, metrics_endpoint
from api.namespace_guard import NamespaceGuard
from api.path_guard import LineBreakPathMiddleware
from api.routes import drafts, events, health, hitl, inbox, jobs, skills
from api.ui import mount_ui
from common.logging import configure_logging
from common.namespace_check import NamespaceMisconfigured
from common.settings import Settings, get_settings
from common.temporal import connect

API_PREFIX = "/api/v2"
log = logging.getLogger("skill_fleet.api")


def create_app(settings: Settings | None = None, client: Client | None = None, *,
               check_namespace: bool | None = None) -> FastAPI:
    """`check_namespace` (default: only when the app connects itself) guards Temporal-bound
    routes with the namespace check; a caller passing its own client answers for it."""
    settings = settings or get_settings()
    if check_namespace is None:
        check_namespace = client is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            app.state.api_keys = ReloadingApiKeys(settings)
            if bind_error := open_mode_bind_error(settings):
                raise KeysConfigError(bind_error)
        except KeysConfigError as err:
            log.critical("%s", err)  # uvicorn then exits: "Application startup failed"
            raise
        # Lazy: the API starts (and /health says 503) even while Temporal is down.
        temporal = client or await connect(settings, lazy=True, bounded=True)
        app.state.namespace_guard = None
        if check_namespace:
            app.state.namespace_guard = guard = NamespaceGuard(temporal, settings)
            try:
                await guard.startup()  # while Temporal is down: checked at first contact
            except NamespaceMisconfigured as err:
                log.critical("Refusing to start: %s", err)
                # uvicorn prints this one's traceback: keep the fix above, printed once.
                raise RuntimeError(f"Refusing to start: Temporal {err.summary}") from None
        app.state.settings = settings
        app.state.gateway = JobGateway(temporal, settings)
        if app.state.api_keys.open_mode:
            log.warning(
                "OPEN LOCAL MODE (SKILL_FLEET_OPEN_MODE=1, no API keys): every caller is an "
                "admin; only loopback clients and localhost Host headers are served.")
        elif settings.open_mode:
            log.warning("SKILL_FLEET_OPEN_MODE is ignored: API keys are configured.")
        log.info("API ready; Temporal at %s, namespace %s, task queue %s",
                 settings.temporal_address, settings.temporal_namespace, settings.task_queue)
        try:
            yield
        finally:
            await app.state.gateway.close()

    app = FastAPI(
        title="skill-fleet",
        version="2.0",
        description="Turn a task description into an Agent Skill, with a human in the loop.",
        lifespan=lifespan,
    )
    # Innermost: Starlette's route patterns would ignore a trailing newline (see the module).
    app.add_middleware(LineBreakPathMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Open mode's loopback fence and the cross-site check of writes (see the module).
    app.add_middleware(LocalGuardMiddleware, open_mode=runs_open(settings))
    # Inside RequestIdMiddleware (it sets the id), outside the body limit (413s count).
    app.add_middleware(RequestTelemetryMiddleware)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    # Open like any Prometheus target (no job ids or user data in it): see api/metrics.py.
    app.add_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.include_router(health.router)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(jobs.router, prefix=API_PREFIX)
    app.include_router(hitl.router, prefix=API_PREFIX)
    app.include_router(events.router, prefix=API_PREFIX)
    app.include_router(inbox.router, prefix=API_PREFIX)
    app.include_router(drafts.router, prefix=API_PREFIX)
    app.include_router(skills.router, prefix=API_PREFIX)
    mount_ui(app, settings)  # the reviewer page under /ui/
    return app


# At import, before uvicorn logs its startup lines, so every line has one format.
configure_logging(get_settings().log_level, get_settings().log_format)
app = create_app()
