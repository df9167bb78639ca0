"""What the API's pure ASGI middlewares share: HTTP-only dispatch and the JSON error reply."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """A middleware that acts on HTTP requests only; lifespan and the rest pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request (subclasses)."""
        raise NotImplementedError


async def send_error(scope: Scope, send: Send, status: int, error: str,
                     reason: str | None = None) -> None:
    """Answer with the API's error shape (`api/errors.py`) before any route runs."""
    payload: dict[str, object] = {
        "error": error,
        "request_id": scope.get("state", {}).get("request_id", ""),
    }
    if reason is not None:
        payload["details"] = {"reason": reason}
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})
