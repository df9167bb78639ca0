"""The reviewer page: a web inbox and checkpoint forms under /ui/, served by the API.

`mount_ui(app, settings)` adds the routes (api/ui/routes.py), the page's event streams
(api/ui/live.py) and the static files; the
session secret is made here, once per app (see api/ui/session.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from api.ui import job_actions, job_list, live, new_job, versions
from api.ui.render import HERE, SECURITY_HEADERS
from api.ui.routes import router
from api.ui.session import UiSessions
from api.ui.signin_limit import SignInLimiter
from common.settings import Settings


class SecureStaticFiles(StaticFiles):
    """Static files with the page's security headers (nosniff matters for scripts)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.extend((k.lower().encode(), v.encode())
                               for k, v in SECURITY_HEADERS.items())
            await send(message)

        await super().__call__(scope, receive, send_with_headers)  # type: ignore[arg-type]


def mount_ui(app: FastAPI, settings: Settings) -> None:
    app.state.ui_sessions = UiSessions.from_settings(settings)
    app.state.ui_signin_limiter = SignInLimiter(settings.ui_signin_attempts_per_minute)
    app.include_router(router)
    app.include_router(live.router)  # the page's event streams
    app.include_router(job_list.router)  # /ui/jobs
    app.include_router(new_job.router)  # /ui/new
    app.include_router(versions.router)  # /ui/jobs/{id}/versions/{n}
    app.include_router(job_actions.router)  # promote, rewind
    app.mount("/ui/static", SecureStaticFiles(directory=HERE / "static"), name="ui-static")
