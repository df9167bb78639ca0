"""Query parameters of the list, inbox and event routes: refused before any lookup."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, new_job_id
from workflows.models import JobStatus, Phase

PAGING_WRONG: list[tuple[dict[str, Any], str]] = [
    ({"page_size": "ten"}, "page_size"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": -5}, "page_size"),
    ({"page_size": 501}, "page_size"),
    ({"page_size": 10**20}, "page_size"),
    ({"page_size": 1.5}, "page_size"),
    ({"page_token": "x" * 4097}, "page_token"),
    ({"user_id": "a' OR '1'='1"}, "user_id"),
    ({"user_id": "../etc"}, "user_id"),
    ({"user_id": "\x00"}, "user_id"),
    ({"user_id": "u" * 129}, "user_id"),
]
LIST_WRONG = [*PAGING_WRONG, ({"status": "sleeping"}, "status"), ({"status": 3.5}, "status"),
              ({"status": "RUNNING!"}, "status"), ({"status": "\x00"}, "status"),
              ({"phase": "nowhere"}, "phase")]
INBOX_WRONG = [*PAGING_WRONG, ({"assignee": "group:"}, "assignee"),
               ({"assignee": "a b"}, "assignee"), ({"assignee": "grp:x"}, "assignee")]


@pytest.mark.parametrize(("params", "field"), LIST_WRONG, ids=repr)
async def test_list_rejects_bad_filters(api: Api, gateway: FakeGateway,
                                        params: dict[str, Any], field: str) -> None:
    validation_error(await api.http.get(f"{API}/jobs", params=params), field)
    assert gateway.calls == []


@pytest.mark.parametrize(("params", "field"), INBOX_WRONG, ids=repr)
async def test_inbox_rejects_bad_filters(api: Api, gateway: FakeGateway,
                                         params: dict[str, Any], field: str) -> None:
    validation_error(await api.http.get(f"{API}/hitl/pending", params=params), field)
    assert gateway.calls == []


async def test_valid_filters_reach_the_gateway(api: Api, gateway: FakeGateway) -> None:
    r = await api.http.get(f"{API}/jobs", params={
        "status": "pending_hitl", "phase": "generation", "user_id": "a.b@c-d_e",
        "page_size": 500, "page_token": "t" * 4096})
    assert r.json() == {"jobs": [], "next_page_token": None}
    assert gateway.called("list") == [{
        "status": JobStatus.PENDING_HITL, "phase": Phase.GENERATION, "user_id": "a.b@c-d_e",
        "page_size": 500, "page_token": "t" * 4096}]
    r = await api.http.get(f"{API}/hitl/pending", params={"assignee": "group:admins",
                                                          "page_size": 1})
    assert r.json() == {"prompts": [], "next_page_token": None}
    assert gateway.called("pending_prompts") == [{
        "user_id": None, "assignee": "group:admins", "page_size": 1, "page_token": None}]


EVENTS_WRONG: list[tuple[dict[str, Any], str]] = [
    ({"after": -1}, "after"),
    ({"after": "x"}, "after"),
    ({"after": 1.5}, "after"),
    ({"format": "xml"}, "format"),
    ({"last_event_id": "x" * 41}, "last_event_id"),
]


@pytest.mark.parametrize("fmt", ["sse", "json"])
@pytest.mark.parametrize(("params", "field"), EVENTS_WRONG, ids=repr)
async def test_events_reject_bad_queries(api: Api, gateway: FakeGateway, fmt: str,
                                         params: dict[str, Any], field: str) -> None:
    """Refused before the first byte is streamed, so an SSE request cannot hang."""
    r = await api.http.get(f"{API}/jobs/{new_job_id()}/events", params={"format": fmt, **params})
    validation_error(r, field)
    assert gateway.calls == []


@pytest.mark.parametrize("resume", ["-3", "1e3", "x", "1.0", "9" * 13])
async def test_events_reject_a_bad_resume_point(api: Api, gateway: FakeGateway,
                                                resume: str) -> None:
    path = f"{API}/jobs/{new_job_id()}/events"
    body = error_body(await api.http.get(path, params={"last_event_id": resume}), 422)
    assert "last_event_id must be a non-negative integer" in body["error"]
    r = await api.http.get(path, headers={"Last-Event-ID": resume})
    assert "Last-Event-ID header must be" in error_body(r, 422)["error"]
    assert gateway.calls == []


async def test_events_json_page_passes_after_through(api: Api, gateway: FakeGateway) -> None:
    job_id = new_job_id()
    r = await api.http.get(f"{API}/jobs/{job_id}/events",
                           params={"format": "json", "after": 10**30})
    assert r.status_code == 200 and r.json()["events"] == []
    assert gateway.called("events") == [{"job_id": job_id, "after": 10**30, "owner": None}]


async def test_sse_resumes_after_the_header_then_the_query(api: Api,
                                                           gateway: FakeGateway) -> None:
    """The Last-Event-ID header wins: a browser sends it while the URL keeps the old query."""
    gateway.view_result = gateway.view_result.model_copy(update={"status": JobStatus.COMPLETED})
    path = f"{API}/jobs/{new_job_id()}/events"
    r = await api.http.get(path, params={"last_event_id": "7", "after": 3},
                           headers={"Last-Event-ID": "12"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert gateway.called("fetch_events")[0]["after"] == 12
    await api.http.get(path, params={"last_event_id": " 7 ", "after": 3})
    assert gateway.called("fetch_events")[1]["after"] == 7
