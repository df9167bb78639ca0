"""Bodies over `max_body_bytes` are a 413 before they are read or parsed, on every route.

Both ways a body can arrive: with a Content-Length (refused before reading) and chunked
(refused once the running count passes the limit, whatever the framework made of it).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from common.settings import Settings
from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api, make_settings, running_api
from tests.fast.api.samples import API, TASK

LIMIT = 2048
JOB = "3f2c1f7e-1111-4222-8333-444455556666"
ROUTES = [
    f"{API}/skills/create",
    f"{API}/hitl/{JOB}/response",
    f"{API}/jobs/{JOB}/rewind",
    f"{API}/drafts/{JOB}/promote",
    f"{API}/skills/validate",
    f"{API}/jobs/{JOB}/cancel",  # takes no body: the limit still applies
]


@pytest.fixture(scope="module")
def settings(skills_root: Path) -> Settings:
    return make_settings(skills_root, max_body_bytes=LIMIT)


def _create_body(size: int) -> bytes:
    """A valid create body of exactly `size` bytes."""
    padding = size - len(json.dumps({"task_description": TASK + " "}))
    return json.dumps({"task_description": TASK + " " + "x" * padding}).encode()


async def _chunks(payload: bytes, size: int = 512) -> AsyncIterator[bytes]:
    for i in range(0, len(payload), size):
        yield payload[i:i + size]


@pytest.mark.parametrize("path", ROUTES)
async def test_declared_length_over_the_limit_is_413(api: Api, gateway: FakeGateway,
                                                     path: str) -> None:
    r = await api.http.post(path, content=b"x" * (LIMIT + 1),
                            headers={"content-type": "application/json"})
    assert error_body(r, 413)["error"] == f"Request body is larger than {LIMIT} bytes."
    assert gateway.calls == []


# A chunked body is counted as it is read; cancel never reads its body, so it is not listed.
@pytest.mark.parametrize("path", ROUTES[:-1])
async def test_chunked_body_over_the_limit_is_413(api: Api, gateway: FakeGateway,
                                                  path: str) -> None:
    payload = json.dumps({"task_description": "x" * (1 << 20)}).encode()
    r = await api.http.post(path, content=_chunks(payload, 64 * 1024),
                            headers={"content-type": "application/json"})
    assert "transfer-encoding" in {k.lower() for k in r.request.headers}
    error_body(r, 413)
    assert gateway.calls == []


async def test_exactly_the_limit_is_accepted(api: Api, gateway: FakeGateway) -> None:
    body = _create_body(LIMIT)
    assert len(body) == LIMIT
    r = await api.http.post(f"{API}/skills/create", content=body,
                            headers={"content-type": "application/json"})
    assert r.status_code == 202, r.text
    chunked = await api.http.post(f"{API}/skills/create", content=_chunks(body),
                                  headers={"content-type": "application/json"})
    assert chunked.status_code == 202, chunked.text
    over = await api.http.post(f"{API}/skills/create", content=_chunks(_create_body(LIMIT + 1)),
                               headers={"content-type": "application/json"})
    error_body(over, 413)
    assert len(gateway.called("start")) == 2


@pytest.mark.parametrize("declared", [b"abc", b"-1", b"1e3", b" 10", b"99999999999999999999"])
async def test_a_content_length_that_is_not_a_small_number_is_413(
    api: Api, gateway: FakeGateway, declared: bytes
) -> None:
    r = await api.raw("POST", b"/api/v2/skills/create", body=b"{}",
                      headers=[(b"content-type", b"application/json")])
    assert r.status == 422  # the control: the same body with an honest length
    r = await api.raw("POST", b"/api/v2/skills/create", body=b"{}", headers=[
        (b"content-length", declared), (b"content-type", b"application/json")])
    assert r.status == 413 and r.json()["error"].startswith("Request body is larger")
    assert gateway.calls == []


async def test_the_limit_comes_from_settings(skills_root: Path) -> None:
    gateway = FakeGateway()
    roomy = make_settings(skills_root, max_body_bytes=1 << 21)
    async with running_api(roomy, gateway=gateway) as api:
        r = await api.http.post(f"{API}/skills/create", json={"task_description": "x" * (1 << 20)})
        error_body(r, 422)  # parsed (too long a task), not refused for size
    assert gateway.calls == []
