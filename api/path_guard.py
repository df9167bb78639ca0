"""Refuse request paths with a line break before routing.

Starlette matches routes with `re.match` and a pattern ending in `$`, which in Python also
matches before a final newline: `/skills/dev/victim%0A` would read `dev/victim`, and
`/skills/create%0A` would create. No job id, skill path or route contains CR or LF, so such
a request is refused (400, reason UnsafePath) instead of being taken as another one.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http_middleware import send_error
from api.refusal_status import published_reason

LINE_BREAKS = ("\n", "\r")


class LineBreakPathMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not any(c in path for c in LINE_BREAKS):
            await self.app(scope, receive, send)
            return
        await send_error(
            scope, send, 400,
            "The request path contains a line break (CR or LF); no resource has one.",
            published_reason("unsafe_path"))
