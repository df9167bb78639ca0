"""Bad input end to end: one case per behaviour over real HTTP to a real stack, and every
case whose answer depends on a running workflow, worker or the files it writes.

The matrix of the API's own refusals (every field, body, query, content type, body size,
job id, key and page token on every route) is in tests/fast/api, in-process, with the
gateway or Temporal's client stubbed. Here: a 413 and a chunked 413 through uvicorn, a
traversal id and NUL bytes as the server decodes them, request lines the HTTP parser
itself refuses, answers the workflow judges (stale, unknown action, another job's
prompt, bad skill names) and what reaches the skill on disk. Temporal going down:
test_temporal_down.py.

(Concurrent answers are in test_answers.py; library path traversal and symlinks in
test_skills_api.py / tests/fast/test_skill_paths.py.)
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import (
    API,
    LocalStack,
    answer,
    assert_error_shape,
    create_job,
    get_job,
    wait_prompt,
    wait_status,
)

TASK = "Review Python pull requests for security issues and missing tests"
UNKNOWN = "3f2c1f7e-1111-4222-8333-444455556666"
NUL = "\x00"


# ------------------------------------------------------------------ helpers


def raw_request(
    base_url: str,
    method: str,
    target: bytes,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, bytes]:
    """Send bytes exactly as given (no client-side normalisation of '..' or encoding).

    A server that closes on a request it refuses may reset the connection before or
    while we read: status 0 then means "closed on it".
    """
    parts = urlsplit(base_url)
    lines = [
        method.encode() + b" " + target + b" HTTP/1.1",
        b"Host: " + (parts.hostname or "").encode(),
        b"Connection: close",
        b"Content-Length: " + str(len(body)).encode(),
    ]
    lines += [k + b": " + v for k, v in headers or []]
    data = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as s:
        try:
            s.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            while chunk := s.recv(65536):
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data.partition(b"\r\n\r\n")[2]


def assert_alive(http: httpx.Client) -> None:
    assert http.get("/health").status_code == 200


@pytest.fixture(scope="module")
def mod_http(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def waiting(mod_http: httpx.Client) -> Iterator[tuple[str, dict[str, Any]]]:
    """A job waiting at confirm: the target of every bad answer; it must not move."""
    job_id = create_job(mod_http, TASK, user_id="badinput", enable_hitl_confirm=True)
    prompt = wait_prompt(mod_http, job_id, "confirm")
    yield job_id, prompt
    mod_http.post(f"{API}/jobs/{job_id}/cancel")


def assert_unchanged(http: httpx.Client, job_id: str, prompt: dict[str, Any]) -> None:
    job = get_job(http, job_id)
    assert job["status"] == "pending_hitl", job["status"]
    assert job["prompt"] == prompt
    assert job["revisions"] == {}


# ------------------------------------------------------------------ answers the workflow judges


def test_huge_prompt_id_is_just_stale(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    job_id, prompt = waiting
    for pid in (2**31, 2**63, 10**30):
        r = answer(mod_http, job_id, pid, action="proceed")
        assert_error_shape(r, 409, 422)
    assert_unchanged(mod_http, job_id, prompt)


def test_events_after_beyond_the_log_is_empty_not_an_error(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    job_id, _ = waiting
    for after in (10**6, 2**63, 10**30):
        r = mod_http.get(f"{API}/jobs/{job_id}/events", params={"after": after, "format": "json"})
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert r.json()["events"] == []


# ------------------------------------------------------------------ body size through uvicorn


def test_one_megabyte_body_is_413_and_changes_nothing(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    """Every route and the exact limit: tests/fast/api/test_body_limit.py."""
    job_id, prompt = waiting
    r = answer(mod_http, job_id, prompt["prompt_id"], action="revise", feedback="x" * (1 << 20))
    assert "larger than" in assert_error_shape(r, 413)["error"]
    assert_unchanged(mod_http, job_id, prompt)
    assert_alive(mod_http)


def test_one_megabyte_chunked_body_is_413(mod_http: httpx.Client) -> None:
    payload = json.dumps({"task_description": "x" * (1 << 20)}).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(payload), 64 * 1024):
            yield payload[i : i + 64 * 1024]

    r = mod_http.post(
        f"{API}/skills/create", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error_shape(r, 413)
    assert_alive(mod_http)


# ------------------------------------------------------------------ what the HTTP parser refuses


def test_huge_path_query_and_header(api_url: str, mod_http: httpx.Client) -> None:
    huge = b"a" * 100_000
    for target in (
        b"/api/v2/jobs/" + huge,
        b"/api/v2/skills/" + huge,
        b"/api/v2/jobs?page_token=" + huge,
    ):
        status, _ = raw_request(api_url, "GET", target)
        assert 400 <= status < 500 or status == 0, status  # 0: the server closed on it
    status, _ = raw_request(
        api_url, "GET", b"/api/v2/hitl/config", headers=[(b"X-Request-ID", huge)]
    )
    assert 200 <= status < 500 or status == 0, status
    assert_alive(mod_http)


def test_raw_nul_and_control_bytes_in_the_request_line(
    api_url: str, mod_http: httpx.Client
) -> None:
    for target in (b"/api/v2/jobs/\x00", b"/api/v2/skills/a\x01b", b"/api/v2/jobs/a b"):
        status, _ = raw_request(api_url, "GET", target)
        assert 400 <= status < 500 or status == 0, status
    # percent-encoded, a NUL gets through the parser to the API, which refuses it
    # (every route and query: tests/fast/api/test_job_ids.py, test_page_tokens.py)
    status, body = raw_request(api_url, "GET", b"/api/v2/jobs/%00")
    assert status == 404 and json.loads(body)["error"], (status, body[:300])
    assert_alive(mod_http)


# ------------------------------------------------------------------ unicode, NUL and the skill


UNICODE_TASK = (
    "Review \u202eRTL\u202c Python \u200bpull requests \U0001f9ea"
    "\U0001d518\U0001d52b\U0001d526 for security issues: na\u00efve e\u0301 "
    "caf\u00e9 \u6f22\u5b57 \U0001f600"
)


def test_unicode_in_a_task_makes_a_safe_skill(mod_http: httpx.Client, stack: LocalStack) -> None:
    """Bidi overrides, zero-width and astral characters are text: they are stored exactly
    and the skill's folders stay ASCII. (ASCII control characters are refused: fast layer.)"""
    r = mod_http.post(
        f"{API}/skills/create", json={"task_description": UNICODE_TASK, "user_id": "badinput"}
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = wait_status(mod_http, job_id, ["completed", "failed"])
    assert job["status"] == "completed", job.get("error")
    assert job["task_description"] == UNICODE_TASK  # stored exactly, returned as JSON escapes
    assert not Path(job["draft_path"]).is_absolute()
    draft = stack.on_disk(job["draft_path"])
    assert draft.is_relative_to((stack.skills_root / "_drafts" / job_id).resolve())
    assert all(seg.isascii() and seg.isprintable() for seg in draft.parts)


def test_nul_in_the_action_is_refused_and_changes_nothing(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    """The API passes `action` as text; the workflow refuses what is not an action."""
    job_id, prompt = waiting
    pid = prompt["prompt_id"]
    for body in (
        {"prompt_id": pid, "action": f"proceed{NUL}"},
        {"prompt_id": pid, "action": f"{NUL}"},
        {"prompt_id": pid, "action": f"revise{NUL}", "feedback": "x"},
    ):
        assert_error_shape(answer(mod_http, job_id, **body), 422)
    assert_unchanged(mod_http, job_id, prompt)


def test_nul_in_response_id(mod_http: httpx.Client) -> None:
    """The response id becomes the Temporal update id: a NUL in it is refused, the job unharmed."""
    job_id = create_job(mod_http, TASK, user_id="badinput", enable_hitl_confirm=True)
    prompt = wait_prompt(mod_http, job_id, "confirm")
    r = answer(
        mod_http, job_id, prompt["prompt_id"], action="proceed", response_id=f"rid{NUL}{NUL}x"
    )
    assert "control characters" in assert_error_shape(r, 422)["error"]
    assert_unchanged(mod_http, job_id, prompt)
    mod_http.post(f"{API}/jobs/{job_id}/cancel")


def _draft_text(stack: LocalStack, job: dict[str, Any]) -> str:
    folder = stack.on_disk(job["draft_path"])
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


def test_nul_in_a_task_never_reaches_the_skill(mod_http: httpx.Client, stack: LocalStack) -> None:
    """Free text a human types ends up in the skill; a NUL in SKILL.md is corruption.
    The API refuses it today (the fast layer pins that for every free-text field); should
    that change, this still checks the files."""
    r = mod_http.post(
        f"{API}/skills/create",
        json={
            "task_description": f"Review Python{NUL} pull requests{NUL} for security issues",
            "user_id": "badinput",
        },
    )
    if r.status_code == 422:
        return
    assert r.status_code == 202, r.text
    job = wait_status(mod_http, r.json()["job_id"], ["completed", "failed"])
    assert job["status"] == "completed", job.get("error")
    assert NUL not in _draft_text(stack, job)


# ------------------------------------------------------------------ path traversal


def test_traversal_in_a_job_id_on_every_job_route(api_url: str) -> None:
    """As uvicorn decodes it (%2F becomes '/', '..' is not normalised); every other id:
    tests/fast/api/test_job_ids.py."""
    routes = [
        ("GET", "/api/v2/jobs/{}"),
        ("GET", "/api/v2/hitl/{}/prompt"),
        ("GET", "/api/v2/jobs/{}/events?format=json"),
        ("GET", "/api/v2/jobs/{}/events"),
        ("GET", "/api/v2/drafts/{}"),
        ("POST", "/api/v2/drafts/{}/promote"),
        ("POST", "/api/v2/jobs/{}/cancel"),
    ]
    for job_id in ("..%2F..%2Fetc%2Fpasswd", "../../../etc/passwd"):
        for method, route in routes:
            status, body = raw_request(api_url, method, route.format(job_id).encode())
            assert status == 404, (method, route, job_id, status, body[:200])
            assert b"root:" not in body
    for route, payload in (
        ("/api/v2/hitl/{}/response", {"prompt_id": 1, "action": "proceed"}),
        ("/api/v2/jobs/{}/rewind", {"to": "understanding"}),
    ):
        status, body = raw_request(
            api_url,
            "POST",
            route.format("..%2F..%2Fetc%2Fpasswd").encode(),
            headers=[(b"Content-Type", b"application/json")],
            body=json.dumps(payload).encode(),
        )
        assert status == 404, (route, status, body[:200])


def test_traversal_in_names_a_human_or_key_supplies(
    mod_http: httpx.Client, stack: LocalStack
) -> None:
    # structure_fix and rewind names are checked against the kebab-case pattern
    job_id = create_job(
        mod_http,
        "Create a skill named Claude-Helper that formats SQL "
        "queries for readability in code reviews",
        user_id="badinput",
    )
    prompt = wait_prompt(mod_http, job_id, "structure_fix")
    for name in (
        "../../evil",
        "..",
        "a/b",
        "a\\b",
        ".hidden",
        "_drafts",
        "%2e%2e",
        f"a{NUL}b",
        f"..{NUL}/x",
    ):
        r = answer(mod_http, job_id, prompt["prompt_id"], action="proceed", skill_name=name)
        assert_error_shape(r, 422)
        r = mod_http.post(
            f"{API}/jobs/{job_id}/rewind",
            json={"to": "understanding", "edits": {"skill_name": name}},
        )
        assert_error_shape(r, 422)
    assert get_job(mod_http, job_id)["prompt"] == prompt
    assert (
        answer(
            mod_http, job_id, prompt["prompt_id"], action="proceed", accept_suggestions=True
        ).status_code
        == 200
    )
    job = wait_status(mod_http, job_id, ["completed", "failed"])
    assert job["status"] == "completed", job.get("error")
    drafts = (stack.skills_root / "_drafts").resolve()
    assert stack.on_disk(job["draft_path"]).is_relative_to(drafts)

    # an Idempotency-Key is only hashed: a path in it names nothing on disk
    r = mod_http.post(
        f"{API}/skills/create",
        json={"task_description": TASK, "user_id": "badinput"},
        headers={"Idempotency-Key": "../../../etc/passwd"},
    )
    assert r.status_code == 202, r.text
    keyed = r.json()["job_id"]
    assert uuid.UUID(keyed).version == 4
    job = wait_status(mod_http, keyed, ["completed", "failed"])
    draft = stack.on_disk(job["draft_path"])
    assert draft.is_relative_to((stack.skills_root / "_drafts" / keyed).resolve())


# ------------------------------------------------------------------ another job's prompt


def test_answers_for_another_job_are_409(mod_http: httpx.Client) -> None:
    # A: clarify (prompt 1) then confirm (prompt 2); B: confirm (prompt 1)
    a = create_job(
        mod_http, "Help me with stuff please", user_id="badinput", enable_hitl_confirm=True
    )
    b = create_job(mod_http, TASK, user_id="badinput", enable_hitl_confirm=True)
    pa = wait_prompt(mod_http, a, "clarify")
    assert (
        answer(
            mod_http,
            a,
            pa["prompt_id"],
            action="proceed",
            answers={
                "subject": "python code review",
                "output": "checklist",
                "examples": True,
            },
        ).status_code
        == 200
    )
    pa = wait_prompt(mod_http, a, "confirm")
    pb = wait_prompt(mod_http, b, "confirm")
    assert pa["prompt_id"] != pb["prompt_id"]
    before = get_job(mod_http, b)

    r = answer(mod_http, b, pa["prompt_id"], action="proceed", response_id=f"{a}-answer")
    body = assert_error_shape(r, 409)
    assert "not the pending prompt" in body["error"]
    r = answer(mod_http, b, pa["prompt_id"], action="revise", feedback="meant for A")
    assert_error_shape(r, 409)
    after = get_job(mod_http, b)
    assert after["prompt"] == before["prompt"] and after["revisions"] == {}
    # B's own prompt is still answerable; A's answer id used on B is not "a duplicate"
    r = answer(mod_http, b, pb["prompt_id"], action="proceed", response_id=f"{a}-answer")
    assert r.status_code == 200 and r.json()["duplicate"] is False, r.text
    for job_id in (a, b):
        mod_http.post(f"{API}/jobs/{job_id}/cancel")


def test_an_answer_built_for_another_jobs_prompt_with_the_same_number_is_refused(
    mod_http: httpx.Client,
) -> None:
    a = create_job(mod_http, "Help me with stuff please", user_id="badinput")
    b = create_job(mod_http, TASK, user_id="badinput", enable_hitl_confirm=True)
    pa = wait_prompt(mod_http, a, "clarify")
    pb = wait_prompt(mod_http, b, "confirm")
    try:
        assert pa["prompt_id"] == pb["prompt_id"] == 1
        meant_for_a = {
            "action": "proceed",
            "answers": {"subject": "python code review", "output": "checklist", "examples": True},
        }
        r = answer(mod_http, b, pa["prompt_id"], **meant_for_a)
        assert r.status_code in (409, 422), r.text
    finally:
        for job_id in (a, b):
            mod_http.post(f"{API}/jobs/{job_id}/cancel")
