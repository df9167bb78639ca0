"""Bad input gets a clear 4xx in one error shape; the health and config endpoints."""

from __future__ import annotations

import httpx
import pytest

from tests.support import API, create_job


@pytest.mark.parametrize("path", [
    f"{API}/jobs/not-a-uuid",
    f"{API}/jobs/00000000-0000-0000-0000-000000000000",
    f"{API}/jobs/3f2c1f7e-1111-4222-8333-444455556666",
    f"{API}/hitl/3f2c1f7e-1111-4222-8333-444455556666/prompt",
    f"{API}/jobs/..%2F..%2Fetc%2Fpasswd",
])
def test_unknown_or_malformed_job_ids_are_404(http: httpx.Client, path: str) -> None:
    r = http.get(path)
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["error"] and body["request_id"] == r.headers["X-Request-ID"]


def test_answer_and_cancel_unknown_job_are_404(http: httpx.Client) -> None:
    unknown = "3f2c1f7e-1111-4222-8333-444455556666"
    assert http.post(f"{API}/hitl/{unknown}/response",
                     json={"prompt_id": 1, "action": "proceed"}).status_code == 404
    assert http.post(f"{API}/jobs/{unknown}/cancel").status_code == 404


@pytest.mark.parametrize("body,where", [
    ({"task_description": "short"}, "task_description"),
    ({"task_description": "x" * 4001}, "task_description"),
    ({}, "task_description"),
    ({"task_description": "A valid task description", "user_id": "../etc"}, "user_id"),
    ({"task_description": "A valid task description", "hitl_timeout_seconds": -1},
     "hitl_timeout_seconds"),
    ({"task_description": "A valid task description", "on_hitl_timeout": "explode"},
     "on_hitl_timeout"),
    ({"task_description": "A valid task description", "surprise": 1}, "surprise"),
])
def test_create_rejects_bad_bodies(http: httpx.Client, body: dict, where: str) -> None:
    r = http.post(f"{API}/skills/create", json=body)
    assert r.status_code == 422, r.text
    assert where in r.json()["error"]


def test_malformed_json_is_422(http: httpx.Client) -> None:
    r = http.post(f"{API}/skills/create", content=b"{not json",
                  headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["request_id"]


def test_answer_needs_a_prompt_id(http: httpx.Client) -> None:
    job_id = create_job(http, user_id="errors", enable_hitl_confirm=True)
    r = http.post(f"{API}/hitl/{job_id}/response", json={"action": "proceed"})
    assert r.status_code == 422
    assert "prompt_id" in r.json()["error"]
    http.post(f"{API}/jobs/{job_id}/cancel")


def test_list_rejects_bad_filters(http: httpx.Client) -> None:
    assert http.get(f"{API}/jobs", params={"status": "sleeping"}).status_code == 422
    assert http.get(f"{API}/jobs", params={"page_size": 501}).status_code == 422
    assert http.get(f"{API}/jobs", params={"user_id": "a' OR '1'='1"}).status_code == 422
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
    assert config["aliases"] == {"refine": "revise"}
    assert config["checkpoints"]["clarify"]["status_while_waiting"] == "pending_user_input"
    assert config["checkpoints"]["preview"]["actions"] == ["proceed", "revise", "cancel"]
    assert config["max_revisions"] == 3
