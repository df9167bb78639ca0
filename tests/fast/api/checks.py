"""The one error shape, asserted the same way everywhere."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fast.api.harness import RawResponse


def error_body(r: httpx.Response | RawResponse, status: int) -> dict[str, Any]:
    """`{"error", "request_id"[, "details"]}` with this status, the id echoed in the header."""
    code = r.status_code if isinstance(r, httpx.Response) else r.status
    text = r.text if isinstance(r, httpx.Response) else r.body.decode(errors="replace")
    assert code == status, (code, text[:500])
    body = r.json()
    assert set(body) <= {"error", "request_id", "details"}, body
    assert isinstance(body["error"], str) and body["error"], body
    assert body["request_id"] and body["request_id"] == r.headers["x-request-id"], body
    return body


def validation_error(r: httpx.Response | RawResponse, field: str) -> dict[str, Any]:
    """A 422 from request validation: `details.errors` lists `field` among the locations."""
    body = error_body(r, 422)
    errors = body["details"]["errors"]
    assert errors and all({"loc", "msg", "type"} <= set(e) for e in errors), errors
    assert any(field in map(str, e["loc"]) for e in errors), (field, errors)
    return body
