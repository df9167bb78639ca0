"""The error shape and the health and config endpoints, end to end over real HTTP.

One case per behaviour, through uvicorn and a real Temporal: an unknown job (Temporal's
NOT_FOUND) and a malformed id, a validation error, malformed JSON, a bad filter and a
forged page token, the request id, /health. The matrix of every field, route and id is
in tests/fast/api (in-process, gateway or Temporal client stubbed).
"""

from __future__ import annotations

import httpx
import pytest

from tests.support import API


@pytest.mark.parametrize("path", [
    f"{API}/jobs/not-a-uuid",
    f"{API}/jobs/3f2c1f7e-1111-4222-8333-444455556666",
])
def test_unknown_or_malformed_job_ids_are_404(http: httpx.Client, path: str) -> None:
    r = http.get(path)
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["error"] and body["request_id"] == r.headers["X-Request-ID"]


def test_validation_errors_name_the_field(http: httpx.Client) -> None:
    r = http.post(f"{API}/skills/create", json={"task_description": "short"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"].startswith("task_description")
    assert body["details"]["errors"][0]["loc"] == ["body", "task_description"]


def test_malformed_json_is_422(http: httpx.Client) -> None:
    r = http.post(f"{API}/skills/create", content=b"{not json",
                  headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["request_id"]


def test_list_rejects_bad_filters(http: httpx.Client) -> None:
    assert http.get(f"{API}/jobs", params={"status": "sleeping"}).status_code == 422
    assert http.get(f"{API}/jobs", params={"page_token": "%%%"}).status_code == 400


def test_request_id_is_echoed(http: httpx.Client) -> None:
    r = http.get(f"{API}/jobs/nope", headers={"X-Request-ID": "trace-123"})
    assert r.headers["X-Request-ID"] == "trace-123"
    assert r.json()["request_id"] == "trace-123"


def test_health_and_config(http: httpx.Client) -> None:
    assert http.get("/health").json() == {"status": "ok", "temporal": "reachable"}
    assert http.get(f"{API}/health").status_code == 200
    config = http.get(f"{API}/hitl/config").json()
    assert config["actions"] == ["proceed", "revise", "cancel"]
    assert config["max_revisions"] == 3
