"""Job ids on every job route, through the real gateway over a stub Temporal client.

A malformed or traversal id is a 404 that never reaches Temporal (the call log stays
empty); a well-formed unknown id is a 404 after one lookup and nothing else: no update,
query or cancel is ever sent for a job that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from tests.fast.api.checks import error_body
from tests.fast.api.harness import Api
from tests.fast.api.samples import JOB_ROUTES
from tests.fast.api.temporal_stub import StubTemporal

UNKNOWN = "3f2c1f7e-1111-4222-8333-444455556666"
MALFORMED_IDS = [
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",  # nil: not a version 4
    "3f2c1f7e-1111-1222-8333-444455556666",  # version 1
    "3f2c1f7e111142228333444455556666",  # no dashes
    "{3f2c1f7e-1111-4222-8333-444455556666}",
    "urn:uuid:3f2c1f7e-1111-4222-8333-444455556666",
    f" {UNKNOWN}",
    f"{UNKNOWN} ",
    "\u00fc", "\u0661\u0662\u0663", "\uff0e\uff0e",
    "a" * 10_000,
]
# Sent byte for byte: what '%2F', '%00' and '..' decode to is the point.
TRAVERSAL_IDS = [
    "..", "...", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2e%2e%2f%2e%2e%2fetc",
    "%252e%252e%252fetc", "..%5c..%5cwindows", "%c0%ae%c0%ae", "~root", "_drafts",
    f"{UNKNOWN}%2F..%2F..", f"{UNKNOWN}%00.json", f"{UNKNOWN}%00", "%00", "%2Fetc%2Fpasswd",
    "%C3%BC", "%EF%BC%8E%EF%BC%8E",
]
LITERAL_DOT_SEGMENTS = [
    b"/api/v2/jobs/../../../etc/passwd",
    b"/api/v2/jobs/../jobs/" + UNKNOWN.encode(),
    b"/api/v2/jobs/./" + UNKNOWN.encode(),
    b"/api/v2/drafts/../../../etc/passwd",
    b"/api/v2/hitl/../../etc/passwd/prompt",
    b"/api/v2/jobs/..%2f..%2f..%2fetc%2fpasswd/events",
]


async def _send(api: Api, method: str, route: str, job_id: str,
                body: dict[str, Any] | None) -> Any:
    """The request with `job_id` spliced in raw, so nothing normalises it on the way."""
    headers = [(b"content-type", b"application/json")] if body is not None else []
    data = json.dumps(body).encode() if body is not None else b""
    return await api.raw(method, route.format(job_id).encode(), body=data,
                         headers=headers)


def _names_a_job(r: Any, job_id: str) -> None:
    assert error_body(r, 404)["error"].startswith("Job "), (job_id, r.body[:200])


def _leaks_no_file(r: Any, job_id: str) -> None:
    assert r.status == 404, (job_id, r.status, r.body[:200])
    error_body(r, 404)
    assert b"root:" not in r.body


# Ids that are not a job's (sent percent-encoded) and ids that walk out of the path (sent raw).
BAD_IDS = [pytest.param([quote(i, safe="") for i in MALFORMED_IDS], _names_a_job, id="malformed"),
           pytest.param(TRAVERSAL_IDS, _leaks_no_file, id="traversal")]


@pytest.mark.parametrize(("job_ids", "check"), BAD_IDS)
@pytest.mark.parametrize(("method", "route", "body"), JOB_ROUTES, ids=lambda v: str(v)[:30])
async def test_bad_ids_are_404_without_asking_temporal(
    real_api: Api, temporal: StubTemporal, method: str, route: str,
    body: dict[str, Any] | None, job_ids: list[str], check: Callable[[Any, str], None]
) -> None:
    for job_id in job_ids:
        check(await _send(real_api, method, route, job_id, body), job_id)
    assert temporal.calls == []


@pytest.mark.parametrize("target", LITERAL_DOT_SEGMENTS, ids=repr)
async def test_literal_dot_segments_match_no_route(real_api: Api, temporal: StubTemporal,
                                                   target: bytes) -> None:
    error_body(await real_api.raw("GET", target), 404)
    assert temporal.calls == []


@pytest.mark.parametrize(("method", "route", "body"), JOB_ROUTES, ids=lambda v: str(v)[:30])
@pytest.mark.parametrize("job_id", [UNKNOWN, UNKNOWN.upper()])
async def test_an_unknown_job_is_404_after_one_lookup(
    real_api: Api, temporal: StubTemporal, method: str, route: str,
    body: dict[str, Any] | None, job_id: str
) -> None:
    r = await _send(real_api, method, route, job_id, body)
    assert error_body(r, 404)["error"] == f"Job {job_id} not found."
    if route.startswith("/api/v2/hitl/{}/response"):  # the update first (issue 27), refused
        assert [c[:2] for c in temporal.calls] == [("update", UNKNOWN), ("describe", UNKNOWN)]
    else:
        assert temporal.calls == [("describe", UNKNOWN)]


@pytest.mark.parametrize("target", [
    b"/api/v2/jobs?user_id=%00", b"/api/v2/jobs?status=%00", b"/api/v2/jobs?phase=%00",
    b"/api/v2/hitl/pending?user_id=%00", b"/api/v2/hitl/pending?assignee=%00",
], ids=repr)
async def test_nul_in_a_query_is_422(real_api: Api, temporal: StubTemporal,
                                     target: bytes) -> None:
    error_body(await real_api.raw("GET", target), 422)
    assert temporal.calls == []
