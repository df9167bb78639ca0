"""Bodies that are not JSON objects, on every JSON endpoint: a 4xx, and nothing happens.

Each case asserts that the gateway was never called: a refused body must not start,
answer, rewind or promote anything (the integration layer keeps one case over HTTP).
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, TASK

JOB = "3f2c1f7e-1111-4222-8333-444455556666"
JSON_ENDPOINTS = [
    f"{API}/skills/create",
    f"{API}/hitl/{JOB}/response",
    f"{API}/jobs/{JOB}/rewind",
    f"{API}/drafts/{JOB}/promote",
    f"{API}/skills/validate",
]
REQUIRED_BODY = [p for p in JSON_ENDPOINTS if not p.endswith("/promote")]

NOT_JSON = [b"{not json", b"{", b'{"task_description": "unterminated', b"\xff\xfe\x00\x00",
            b'{"a": 1,}', b"{'a': 1}", b'{"a": 1} trailing']
NOT_AN_OBJECT = [b"NaN", b"[1, 2, 3]", b'"just a string"', b"12345", b"true", b"-Infinity"]
# The stdlib parser recurses: deep nesting is a RecursionError, answered as a bad body.
TOO_DEEP = [b"[" * 20000 + b"]" * 20000, b'{"a":' * 20000 + b"1" + b"}" * 20000]


async def _post(api: Api, path: str, body: bytes,
                content_type: str = "application/json") -> httpx.Response:
    return await api.http.post(path, content=body, headers={"content-type": content_type})


# Each body refused with 422, and the error type that names why.
REFUSED_422 = ([(b, "json_invalid") for b in NOT_JSON]
               + [(b, "model_attributes_type") for b in NOT_AN_OBJECT])


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(("body", "error_type"), REFUSED_422, ids=lambda v: repr(v[:12]))
async def test_invalid_json_or_not_an_object_is_422(api: Api, gateway: FakeGateway, path: str,
                                                    body: bytes, error_type: str) -> None:
    r = await _post(api, path, body)
    assert error_body(r, 422)["details"]["errors"][0]["type"] == error_type
    assert gateway.calls == []


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("body", TOO_DEEP, ids=["deep-list", "deep-object"])
async def test_deeply_nested_json_is_400(api: Api, gateway: FakeGateway, path: str,
                                         body: bytes) -> None:
    assert error_body(await _post(api, path, body), 400)["error"] == (
        "There was an error parsing the body")
    assert gateway.calls == []


@pytest.mark.parametrize("path", REQUIRED_BODY)
@pytest.mark.parametrize("body", [b"", b"null"])
async def test_a_missing_required_body_is_422(api: Api, gateway: FakeGateway, path: str,
                                              body: bytes) -> None:
    error_body(await _post(api, path, body), 422)
    assert gateway.calls == []


@pytest.mark.parametrize("body", [b"", b"null", b"{}"])
async def test_promote_without_a_body_means_the_defaults(api: Api, gateway: FakeGateway,
                                                         body: bytes) -> None:
    """Promote's body is optional; whether the job can be promoted is the gateway's call."""
    assert (await _post(api, f"{API}/drafts/{JOB}/promote", body)).status_code == 200
    [call] = gateway.called("promote")
    request = call["request"]
    assert (request.overwrite, request.delete_draft, request.force) == (False, False, False)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml",
                                          "application/jsonx", None])
async def test_a_json_body_under_another_content_type_is_422(
    api: Api, gateway: FakeGateway, path: str, content_type: str | None
) -> None:
    """Only JSON media types are parsed: the body is then not an object, so 422."""
    body = json.dumps({"task_description": TASK, "prompt_id": 1, "to": "generation",
                       "skill_path": "a"}).encode()
    headers = {"content-type": content_type} if content_type else {}
    error_body(await api.http.post(path, content=body, headers=headers), 422)
    assert gateway.calls == []


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "application/merge-patch+json", "APPLICATION/JSON"])
async def test_json_media_types_are_accepted(api: Api, gateway: FakeGateway,
                                             content_type: str) -> None:
    body = json.dumps({"task_description": TASK}).encode()
    r = await _post(api, f"{API}/skills/create", body, content_type)
    assert r.status_code == 202, r.text
    assert gateway.called("start")[0]["job"].task_description == TASK


async def test_a_body_not_in_utf8_is_400(api: Api, gateway: FakeGateway) -> None:
    latin1 = '{"task_description": "caf\u00e9 r\u00e9sum\u00e9 reviews for teams"}'
    r = await _post(api, f"{API}/skills/create", latin1.encode("latin-1"))
    error_body(r, 400)
    assert gateway.calls == []
