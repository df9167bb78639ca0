"""Every failure has one shape and carries the request's id; OpenAPI says so too.

Clients (the CLI, the web page) parse `error` and quote `request_id` to operators, so
a route or handler that answers FastAPI's own `{"detail": ...}` is a regression.
"""

from __future__ import annotations

import re

import pytest

from api.errors import ApiError
from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, TASK, new_job_id

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


async def test_unknown_route_and_wrong_method(api: Api) -> None:
    body = error_body(await api.http.get(f"{API}/nowhere"), 404)
    assert body["error"] == "Not Found"
    error_body(await api.http.delete(f"{API}/jobs"), 405)
    error_body(await api.http.put(f"{API}/jobs/{new_job_id()}"), 405)


async def test_validation_errors_carry_details(api: Api, gateway: FakeGateway) -> None:
    r = await api.http.post(f"{API}/skills/create", json={"task_description": "short"})
    body = validation_error(r, "task_description")
    assert body["error"].startswith("task_description: ")
    [error] = body["details"]["errors"]
    assert error["loc"] == ["body", "task_description"] and error["type"] == "string_too_short"
    assert gateway.calls == []


async def test_api_errors_keep_status_message_and_details(
    api: Api, gateway: FakeGateway
) -> None:
    gateway.fail["answer"] = ApiError(409, "Prompt 1 is not the pending prompt.",
                                      reason="stale_prompt")
    r = await api.http.post(f"{API}/hitl/{new_job_id()}/response", json={"prompt_id": 1})
    body = error_body(r, 409)
    assert body["error"] == "Prompt 1 is not the pending prompt."
    assert body["details"] == {"reason": "stale_prompt"}


async def test_an_unexpected_exception_is_a_500_in_the_same_shape(
    api: Api, gateway: FakeGateway
) -> None:
    gateway.fail["view"] = RuntimeError("secret internals /etc/passwd")
    r = await api.http.get(f"{API}/jobs/{new_job_id()}")
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error", "request_id"} and HEX_ID.match(body["request_id"])
    # Answered outside every middleware, it still names the request in its header.
    assert r.headers["x-request-id"] == body["request_id"]
    echoed = await api.http.get(f"{API}/jobs/{new_job_id()}", headers={"X-Request-ID": "t-1"})
    assert echoed.status_code == 500 and echoed.headers["x-request-id"] == "t-1"
    assert echoed.json()["request_id"] == "t-1"
    assert body["error"] == "Internal error; see the server log."
    assert "secret" not in r.text and "Traceback" not in r.text


async def test_401_and_413_have_the_shape_too(secured: Api) -> None:
    body = error_body(await secured.http.get(f"{API}/jobs"), 401)
    assert "Missing API key" in body["error"]
    r = await secured.http.post(f"{API}/skills/create", content=b"x" * 30_000,
                                headers={"content-type": "application/json"})
    assert "larger than 20000 bytes" in error_body(r, 413)["error"]


async def test_request_id_is_generated_when_absent(api: Api) -> None:
    ok = await api.http.get(f"{API}/hitl/config")
    assert HEX_ID.match(ok.headers["x-request-id"])
    failed = await api.http.get(f"{API}/jobs/{new_job_id()}/nowhere")
    assert HEX_ID.match(error_body(failed, 404)["request_id"])
    assert failed.headers["x-request-id"] != ok.headers["x-request-id"]


@pytest.mark.parametrize("rid", ["trace-123", "r" * 64, "a b:c/d=e"])
async def test_a_sane_request_id_is_echoed(api: Api, rid: str) -> None:
    r = await api.http.get(f"{API}/nowhere", headers={"X-Request-ID": rid})
    assert r.headers["x-request-id"] == rid
    assert r.json()["request_id"] == rid
    ok = await api.http.get(f"{API}/hitl/config", headers={"X-Request-ID": rid})
    assert ok.status_code == 200 and ok.headers["x-request-id"] == rid


@pytest.mark.parametrize("rid", [b"", b"r" * 65, b"line\nbreak", b"tab\there", b"\x1b[31m",
                                 b"nul\x00", b"del\x7f", b"a" * 100_000,
                                 "caf\u00e9".encode("latin-1"), "caf\u00e9".encode()])
async def test_an_odd_request_id_is_replaced(api: Api, rid: bytes) -> None:
    """Raw bytes, as a client that does not validate headers would send them."""
    r = await api.raw("GET", b"/api/v2/nowhere", headers=[(b"x-request-id", rid)])
    assert HEX_ID.match(r.headers["x-request-id"]), r.headers
    assert r.json()["request_id"] == r.headers["x-request-id"]


async def test_openapi_documents_the_error_shape(api: Api) -> None:
    schema = (await api.http.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    assert components["ErrorResponse"]["required"] == ["error", "request_id"]
    assert "HTTPValidationError" not in components
    create = schema["paths"][f"{API}/skills/create"]["post"]["responses"]
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    assert create["422"]["content"]["application/json"]["schema"] == ref
    assert create["default"]["content"]["application/json"]["schema"] == ref


async def test_a_refused_create_starts_nothing_and_a_good_one_does(
    api: Api, gateway: FakeGateway
) -> None:
    """The control for every 'gateway never called' assertion in this folder."""
    error_body(await api.http.post(f"{API}/skills/create", json={"task": TASK}), 422)
    assert gateway.calls == []
    r = await api.http.post(f"{API}/skills/create", json={"task_description": TASK})
    assert r.status_code == 202, r.text
    assert [c.name for c in gateway.calls] == ["active_jobs", "start"]
