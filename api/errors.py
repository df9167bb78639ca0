"""One error shape for every failure: `{"error": ..., "request_id": ...}` plus `X-Request-ID`."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware

log = logging.getLogger("skill_fleet.api")

REQUEST_ID_HEADER = "X-Request-ID"


class ApiError(Exception):
    """An expected failure with its HTTP status and a message for the caller."""

    def __init__(self, status_code: int, error: str, *,
                 headers: dict[str, str] | None = None, **details: Any) -> None:
        super().__init__(error)
        self.status_code = status_code
        self.error = error
        self.details = details
        self.headers = headers or {}  # e.g. Retry-After, sent with the error


class RequestIdMiddleware(HttpMiddleware):
    """Give every request an id (or keep a sane caller-supplied one) and echo it back."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        supplied = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        # ASCII only: a Latin-1 byte would be echoed back re-encoded, as another id.
        sane = 0 < len(supplied) <= 64 and supplied.isascii() and supplied.isprintable()
        request_id = supplied if sane else ""
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_id)


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "") or uuid.uuid4().hex


def error_response(request: Request, status: int, error: Any, **details: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "request_id": _request_id(request)}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


ERROR_SCHEMA_NAME = "ErrorResponse"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "description": "Every failure: a message, the request's id, and for 422 the details.",
    "properties": {
        "error": {"type": "string", "title": "Error"},
        "request_id": {"type": "string", "title": "Request Id"},
        "details": {"type": "object", "title": "Details"},
    },
    "required": ["error", "request_id"],
}


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth about errors.

    FastAPI documents 422 as its own `HTTPValidationError` (`{"detail": [...]}`) and
    nothing else, while every error here is `ErrorResponse`. Each operation gets that
    schema for 422 and as its `default` response (404, 409, 503, ... all share it).
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema and app.openapi_schema.get("x-errors-documented"):
            return app.openapi_schema
        schema = generate()
        ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
        error_content = {"application/json": {"schema": ref}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                if "422" in responses:
                    responses["422"] = {"description": "Validation Error",
                                        "content": error_content}
                responses.setdefault("default", {"description": "Error",
                                                 "content": error_content})
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
        components.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(schema):
            components.pop("ValidationError", None)
        schema["x-errors-documented"] = True
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# The message of the SDK's RuntimeError when a lazily connected client cannot connect.
LAZY_CONNECT_FAILED = "Failed client connect"


def install_error_handlers(app: FastAPI) -> None:
    document_errors(app)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        response = error_response(request, exc.status_code, exc.error, **exc.details)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "body"
        return error_response(request, 422, f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(request, exc.status_code, exc.detail)

    @app.exception_handler(RuntimeError)
    async def _runtime(request: Request, exc: RuntimeError) -> JSONResponse:
        if str(exc).startswith(LAZY_CONNECT_FAILED):
            # The SDK's lazy client raises this, not an RPCError, while Temporal has not
            # been reached once: an outage like any other (the gateway maps RPCErrors).
            return error_response(request, 503, f"Temporal is not reachable: {exc}")
        raise exc  # to the 500 handler below

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = _request_id(request)
        log.exception("unhandled error", extra={"request_id": request_id})
        response = error_response(request, 500, "Internal error; see the server log.")
        # Starlette answers a 500 outside every middleware, RequestIdMiddleware included.
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
