"""Bad input tried: whatever a client sends, the API answers 4xx in the one error shape,
changes nothing it refused, never 5xx, and stays up. And with Temporal down, writes fail
fast with 503 and work resumes by itself once it is back.

(Concurrent answers are in test_answers.py; library path traversal and symlinks in
test_skills_api.py / test_skill_paths.py; here: every other field and route.)
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import (
    API,
    LocalStack,
    answer,
    create_job,
    get_job,
    wait_prompt,
    wait_status,
)

TASK = "Review Python pull requests for security issues and missing tests"
UNKNOWN = "3f2c1f7e-1111-4222-8333-444455556666"
NUL = "\x00"
CONTROLS = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r") + "\x7f"


# ------------------------------------------------------------------ helpers


def assert_error_shape(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert body["request_id"] == r.headers["X-Request-ID"], body
    return body


def raw_request(
    base_url: str,
    method: str,
    target: bytes,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, bytes]:
    """Send bytes exactly as given (no client-side normalisation of '..' or encoding)."""
    parts = urlsplit(base_url)
    lines = [
        method.encode() + b" " + target + b" HTTP/1.1",
        b"Host: " + (parts.hostname or "").encode(),
        b"Connection: close",
        b"Content-Length: " + str(len(body)).encode(),
    ]
    lines += [k + b": " + v for k, v in headers or []]
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as s:
        s.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
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


def json_endpoints(job_id: str) -> list[str]:
    return [
        f"{API}/skills/create",
        f"{API}/hitl/{job_id}/response",
        f"{API}/jobs/{job_id}/rewind",
        f"{API}/drafts/{job_id}/promote",
        f"{API}/skills/validate",
    ]


# ------------------------------------------------------------------ malformed JSON

MALFORMED = [
    b"{not json",
    b"",
    b"{",
    b'{"task_description": "unterminated',
    b"\xff\xfe\x00\x00",
    b'{"a": 1,}',
    b"NaN",
    b"[" * 20000 + b"]" * 20000,  # deep nesting (the stdlib parser recurses)
    b'{"a":' * 20000 + b"1" + b"}" * 20000,
    b"[1, 2, 3]",
    b"null",
    b'"just a string"',
    b"12345",
    b"true",
]


@pytest.mark.parametrize("body", MALFORMED, ids=lambda b: repr(b[:16]))
def test_malformed_json_on_every_json_endpoint(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]], body: bytes
) -> None:
    job_id, prompt = waiting
    for path in json_endpoints(job_id):
        r = mod_http.post(path, content=body, headers={"content-type": "application/json"})
        if path.endswith("/promote") and body == b"null":
            # promote's body is optional: null means the defaults; the job is not done yet
            assert_error_shape(r, 400)
            continue
        assert_error_shape(r, 400, 422)
    assert_unchanged(mod_http, job_id, prompt)
    assert_alive(mod_http)


def test_wrong_content_type_and_charset(mod_http: httpx.Client) -> None:
    valid = json.dumps({"task_description": TASK}).encode()
    r = mod_http.post(f"{API}/skills/create", content=valid, headers={"content-type": "text/plain"})
    assert_error_shape(r, 415, 422)
    r = mod_http.post(
        f"{API}/skills/create",
        content=valid,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error_shape(r, 415, 422)
    latin1 = '{"task_description": "caf\u00e9 r\u00e9sum\u00e9 reviews for teams"}'
    latin1 = latin1.encode("latin-1")
    r = mod_http.post(
        f"{API}/skills/create", content=latin1, headers={"content-type": "application/json"}
    )
    assert_error_shape(r, 400, 422)


# ------------------------------------------------------------------ wrong types

CREATE_WRONG = [
    {"task_description": 12345678901},
    {"task_description": ["Review Python pull requests"]},
    {"task_description": {"text": "Review Python pull requests"}},
    {"task_description": None},
    {"task_description": True},
    {"task_description": TASK, "enable_hitl_confirm": "sometimes"},
    {"task_description": TASK, "enable_hitl_preview": [True]},
    {"task_description": TASK, "enable_hitl_review": {"on": True}},
    {"task_description": TASK, "hitl_timeout_seconds": "soon"},
    {"task_description": TASK, "hitl_timeout_seconds": 0},
    {"task_description": TASK, "hitl_timeout_seconds": 1e30},
    {"task_description": TASK, "user_id": 42},
    {"task_description": TASK, "user_id": ["a"]},
    {"task_description": TASK, "webhook_url": 7},
    {"task_description": TASK, "webhook_url": "not a url"},
    {"task_description": TASK, "webhook_url": "file:///etc/passwd"},
    {"task_description": TASK, "on_hitl_timeout": True},
]


@pytest.mark.parametrize(
    "body", CREATE_WRONG, ids=lambda b: next(f"{k}={str(v)[:12]}" for k, v in reversed(b.items()))
)
def test_create_wrong_types_are_422(mod_http: httpx.Client, body: dict[str, Any]) -> None:
    assert_error_shape(mod_http.post(f"{API}/skills/create", json=body), 422)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"task_description": "' + TASK.encode() + b'", "hitl_timeout_seconds": NaN}',
        b'{"task_description": "' + TASK.encode() + b'", "hitl_timeout_seconds": Infinity}',
        b'{"task_description": "' + TASK.encode() + b'", "hitl_timeout_seconds": -Infinity}',
    ],
)
def test_non_finite_numbers_are_refused(mod_http: httpx.Client, raw: bytes) -> None:
    r = mod_http.post(
        f"{API}/skills/create", content=raw, headers={"content-type": "application/json"}
    )
    assert_error_shape(r, 400, 422)


ANSWER_WRONG = [
    {"prompt_id": "one"},
    {"prompt_id": 1.5},
    {"prompt_id": -1},
    {"prompt_id": 0},
    {"prompt_id": None},
    {"prompt_id": [1]},
    {"prompt_id": 1, "action": 1},
    {"prompt_id": 1, "action": None},
    {"prompt_id": 1, "action": ["proceed"]},
    {"prompt_id": 1, "feedback": 3},
    {"prompt_id": 1, "answers": ["subject"]},
    {"prompt_id": 1, "answers": "subject=x"},
    {"prompt_id": 1, "answers": {f"q{i}": i for i in range(21)}},
    {"prompt_id": 1, "accept_suggestions": "maybe"},
    {"prompt_id": 1, "skill_name": 5},
    {"prompt_id": 1, "response_id": ""},
    {"prompt_id": 1, "response_id": "r" * 129},
    {"prompt_id": 1, "surprise": True},
]


@pytest.mark.parametrize(
    "body", ANSWER_WRONG, ids=lambda b: next(f"{k}={str(v)[:12]}" for k, v in reversed(b.items()))
)
def test_answer_wrong_types_are_422_and_change_nothing(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]], body: dict[str, Any]
) -> None:
    job_id, prompt = waiting
    if body.get("prompt_id") == 1:
        body = {**body, "prompt_id": prompt["prompt_id"]}
    assert_error_shape(mod_http.post(f"{API}/hitl/{job_id}/response", json=body), 422)
    assert_unchanged(mod_http, job_id, prompt)


def test_huge_prompt_id_is_just_stale(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    job_id, prompt = waiting
    for pid in (2**31, 2**63, 10**30):
        r = answer(mod_http, job_id, pid, action="proceed")
        assert_error_shape(r, 409, 422)
    assert_unchanged(mod_http, job_id, prompt)


@pytest.mark.parametrize(
    "body",
    [
        {"to": "the-end"},
        {"to": 3},
        {"to": "generation", "edits": []},
        {"to": "generation", "edits": {"outline": "x"}},
        {"to": "generation", "edits": {"outline": ["x"] * 31}},
        {"to": "generation", "edits": {"feedback": "x" * 4001}},
        {"to": "generation", "edits": {"description": "<script>alert(1)</script>"}},
        {"to": "generation", "edits": {"surprise": 1}},
    ],
)
def test_rewind_wrong_bodies_are_422(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]], body: dict[str, Any]
) -> None:
    job_id, prompt = waiting
    assert_error_shape(mod_http.post(f"{API}/jobs/{job_id}/rewind", json=body), 422)
    assert_unchanged(mod_http, job_id, prompt)


@pytest.mark.parametrize(
    "body",
    [{"overwrite": "perhaps"}, {"force": 1.5}, {"delete_draft": []}, {"surprise": True}, [True]],
)
def test_promote_wrong_bodies_are_422(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]], body: Any
) -> None:
    job_id, _ = waiting
    assert_error_shape(mod_http.post(f"{API}/drafts/{job_id}/promote", json=body), 422)


@pytest.mark.parametrize(
    "params",
    [
        {"status": 3.5},
        {"status": "RUNNING!"},
        {"phase": "nowhere"},
        {"page_size": "ten"},
        {"page_size": 0},
        {"page_size": -5},
        {"page_size": 10**20},
        {"page_token": "x" * 5000},
    ],
)
def test_list_query_wrong_types(mod_http: httpx.Client, params: dict[str, Any]) -> None:
    for path in (f"{API}/jobs", f"{API}/hitl/pending"):
        if "status" in params or "phase" in params:
            if path.endswith("pending"):
                continue
        assert_error_shape(mod_http.get(path, params=params), 400, 422)


@pytest.mark.parametrize(
    "params",
    [
        {"after": -1},
        {"after": "x"},
        {"after": 1.5},
        {"format": "xml"},
        {"last_event_id": "-3"},
        {"last_event_id": "x" * 41},
        {"last_event_id": "1e3"},
    ],
)
def test_events_query_wrong_types(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]], params: dict[str, Any]
) -> None:
    job_id, _ = waiting
    # SSE (the default) fails before the first byte is streamed, so this cannot hang
    with mod_http.stream("GET", f"{API}/jobs/{job_id}/events", params=params) as r:
        r.read()
    assert_error_shape(r, 422)


def test_events_after_beyond_the_log_is_empty_not_an_error(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    job_id, _ = waiting
    for after in (10**6, 2**63, 10**30):
        r = mod_http.get(f"{API}/jobs/{job_id}/events", params={"after": after, "format": "json"})
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert r.json()["events"] == []


# ------------------------------------------------------------------ huge input


def test_one_megabyte_bodies_are_413(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    job_id, prompt = waiting
    big = "x" * (1 << 20)
    cases = [
        (f"{API}/skills/create", {"task_description": big}),
        (
            f"{API}/hitl/{job_id}/response",
            {"prompt_id": prompt["prompt_id"], "action": "revise", "feedback": big},
        ),
        (f"{API}/jobs/{job_id}/rewind", {"to": "understanding", "edits": {"feedback": big}}),
        (f"{API}/skills/validate", {"skill_path": big}),
    ]
    for path, body in cases:
        started = time.monotonic()
        assert_error_shape(mod_http.post(path, json=body), 413)
        assert time.monotonic() - started < 5
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


def test_one_megabyte_chunked_body_is_refused_without_5xx(mod_http: httpx.Client) -> None:
    payload = json.dumps({"task_description": "x" * (1 << 20)}).encode()
    r = mod_http.post(
        f"{API}/skills/create",
        content=iter([payload[i : i + 65536] for i in range(0, len(payload), 65536)]),
        headers={"content-type": "application/json"},
    )
    assert_error_shape(r, 400, 413)
    assert_alive(mod_http)


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
    r = mod_http.get(f"{API}/hitl/config", headers={"X-Request-ID": "r" * 65})
    assert r.status_code == 200 and len(r.headers["X-Request-ID"]) <= 64
    assert_alive(mod_http)


# ------------------------------------------------------------------ unicode and control characters

UNICODE_TASK = (
    "Review \u202eRTL\u202c Python \u200bpull requests \U0001f9ea"
    "\U0001d518\U0001d52b\U0001d526 for security issues: na\u00efve e\u0301 "
    "caf\u00e9 \u6f22\u5b57 \U0001f600"
)


def test_unicode_and_control_characters_in_a_task_make_a_safe_skill(
    mod_http: httpx.Client, stack: LocalStack
) -> None:
    task = UNICODE_TASK + " " + CONTROLS
    r = mod_http.post(
        f"{API}/skills/create", json={"task_description": task, "user_id": "badinput"}
    )
    assert r.status_code in (202, 422), r.text
    if r.status_code == 422:
        return  # refusing control characters is fine too
    job_id = r.json()["job_id"]
    job = wait_status(mod_http, job_id, ["completed", "failed"])
    assert job["status"] == "completed", job.get("error")
    assert job["task_description"] == task  # stored exactly, returned as JSON escapes
    assert not Path(job["draft_path"]).is_absolute()
    draft = stack.on_disk(job["draft_path"])
    assert draft.is_relative_to((stack.skills_root / "_drafts" / job_id).resolve())
    assert all(seg.isascii() and seg.isprintable() for seg in draft.parts)


@pytest.mark.parametrize(
    "rid", ["\u00e9t\u00e9", "\U0001f600" * 10, "line\nbreak", "tab\there", "\x1b[31m"]
)
def test_odd_request_ids_are_replaced_or_echoed_safely(mod_http: httpx.Client, rid: str) -> None:
    try:
        r = mod_http.get(f"{API}/hitl/config", headers={"X-Request-ID": rid})
    except (httpx.LocalProtocolError, UnicodeEncodeError):
        return  # the client itself refuses to send it
    assert r.status_code == 200
    echoed = r.headers["X-Request-ID"]
    assert echoed.isprintable() and 0 < len(echoed) <= 64


@pytest.mark.parametrize(
    "job_id",
    ["\u00fc", "%C3%BC", "\u0661\u0662\u0663", "\uff0e\uff0e", UNKNOWN.upper(), f" {UNKNOWN}"],
)
def test_unicode_job_ids_are_404(mod_http: httpx.Client, job_id: str) -> None:
    assert_error_shape(mod_http.get(f"{API}/jobs/{job_id}"), 404)


# ------------------------------------------------------------------ NUL bytes everywhere


def test_nul_in_create_fields(mod_http: httpx.Client) -> None:
    for body in (
        {"task_description": TASK, "user_id": f"bad{NUL}user"},
        {"task_description": TASK, "webhook_url": f"http://127.0.0.1{NUL}:9/"},
        {"task_description": TASK, "on_hitl_timeout": f"cancel{NUL}"},
        {"task_description": TASK, f"enable_hitl_confirm{NUL}": True},
    ):
        assert_error_shape(mod_http.post(f"{API}/skills/create", json=body), 422)
    # in a URL's path a NUL is percent-encoded, never stored raw
    r = mod_http.post(
        f"{API}/skills/create",
        json={
            "task_description": TASK,
            "user_id": "badinput",
            "webhook_url": f"http://127.0.0.1:9/hook{NUL}x",
        },
    )
    if r.status_code == 202:
        job = get_job(mod_http, r.json()["job_id"])
        assert NUL not in (job["options"]["webhook_url"] or ""), job["options"]
    else:
        assert_error_shape(r, 422)
    # \x7f stands in for NUL in a header: clients refuse to send NUL there at all
    r = mod_http.post(
        f"{API}/skills/create",
        json={"task_description": TASK},
        headers={"Idempotency-Key": "key\x7f"},
    )
    assert_error_shape(r, 422)


def test_nul_in_answer_fields_is_refused_or_harmless(
    mod_http: httpx.Client, waiting: tuple[str, dict[str, Any]]
) -> None:
    job_id, prompt = waiting
    pid = prompt["prompt_id"]
    for body in (
        {"prompt_id": pid, "action": f"proceed{NUL}"},
        {"prompt_id": pid, "action": f"{NUL}"},
        {"prompt_id": pid, "action": f"revise{NUL}", "feedback": "x"},
        {"prompt_id": pid, "action": "revise", "feedback": NUL * 4001},
    ):
        assert_error_shape(answer(mod_http, job_id, **body), 422)
    assert_unchanged(mod_http, job_id, prompt)


def test_nul_in_response_id(mod_http: httpx.Client) -> None:
    """The response id becomes the Temporal update id: a NUL in it must not break the job."""
    job_id = create_job(mod_http, TASK, user_id="badinput", enable_hitl_confirm=True)
    prompt = wait_prompt(mod_http, job_id, "confirm")
    r = answer(
        mod_http, job_id, prompt["prompt_id"], action="proceed", response_id=f"rid{NUL}{NUL}x"
    )
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        job = wait_status(mod_http, job_id, ["completed", "failed"])
        assert job["status"] == "completed", job.get("error")
    else:
        assert_unchanged(mod_http, job_id, prompt)
        mod_http.post(f"{API}/jobs/{job_id}/cancel")


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v2/jobs/%00",
        b"/api/v2/jobs/" + UNKNOWN.encode() + b"%00",
        b"/api/v2/hitl/%00/prompt",
        b"/api/v2/jobs/%00/events",
        b"/api/v2/drafts/%00",
        b"/api/v2/skills/%00",
        b"/api/v2/skills/a%00/b",
        b"/api/v2/jobs?user_id=%00",
        b"/api/v2/jobs?page_token=%00",
        b"/api/v2/jobs?status=%00",
        b"/api/v2/hitl/pending?page_token=%00",
    ],
)
def test_nul_in_path_and_query(api_url: str, mod_http: httpx.Client, target: bytes) -> None:
    status, body = raw_request(api_url, "GET", target)
    assert status in (400, 404, 422), (status, body[:300])
    assert json.loads(body)["error"]
    assert_alive(mod_http)


def test_raw_nul_and_control_bytes_in_the_request_line(
    api_url: str, mod_http: httpx.Client
) -> None:
    for target in (b"/api/v2/jobs/\x00", b"/api/v2/skills/a\x01b", b"/api/v2/jobs/a b"):
        status, _ = raw_request(api_url, "GET", target)
        assert 400 <= status < 500 or status == 0, status
    assert_alive(mod_http)


# Free text a human types ends up in the skill. A NUL byte in SKILL.md is corruption,
# whichever field carried it: it must be refused (422) or never reach the files.
NUL_TEXT = f"Mention the{NUL} edge cases{NUL}"


def _draft_text(stack: LocalStack, job: dict[str, Any]) -> str:
    folder = stack.on_disk(job["draft_path"])
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.mark.parametrize("field", ["task_description", "confirm_feedback"])
def test_nul_in_free_text_never_reaches_the_skill(
    mod_http: httpx.Client, stack: LocalStack, field: str
) -> None:
    if field == "task_description":
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
        job_id = r.json()["job_id"]
    else:
        job_id = create_job(mod_http, TASK, user_id="badinput", enable_hitl_confirm=True)
        prompt = wait_prompt(mod_http, job_id, "confirm")
        r = answer(mod_http, job_id, prompt["prompt_id"], action="revise", feedback=NUL_TEXT)
        if r.status_code == 422:
            mod_http.post(f"{API}/jobs/{job_id}/cancel")
            return
        assert r.status_code == 200, r.text
        prompt = wait_prompt(mod_http, job_id, "confirm")
        assert answer(mod_http, job_id, prompt["prompt_id"], action="proceed").status_code == 200
    job = wait_status(mod_http, job_id, ["completed", "failed"])
    assert job["status"] == "completed", job.get("error")
    assert NUL not in _draft_text(stack, job)


# ------------------------------------------------------------------ path traversal

TRAVERSAL_IDS = [
    "..",
    "...",
    "../..",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2fetc",
    "%252e%252e%252fetc",
    "..%5c..%5cwindows",
    "%c0%ae%c0%ae",
    "~root",
    "_drafts",
    f"{UNKNOWN}%2F..%2F..",
    f"{UNKNOWN}%00.json",
    "%2Fetc%2Fpasswd",
]


@pytest.mark.parametrize("job_id", TRAVERSAL_IDS)
def test_traversal_in_job_ids_on_every_job_route(api_url: str, job_id: str) -> None:
    routes = [
        ("GET", "/api/v2/jobs/{}"),
        ("GET", "/api/v2/hitl/{}/prompt"),
        ("GET", "/api/v2/jobs/{}/events?format=json"),
        ("GET", "/api/v2/jobs/{}/events"),
        ("GET", "/api/v2/drafts/{}"),
        ("POST", "/api/v2/drafts/{}/promote"),
        ("POST", "/api/v2/jobs/{}/cancel"),
    ]
    for method, route in routes:
        status, body = raw_request(api_url, method, route.format(job_id).encode())
        assert status == 404, (method, route, job_id, status, body[:200])
        assert b"root:" not in body
    bodies = [
        ("/api/v2/hitl/{}/response", {"prompt_id": 1, "action": "proceed"}),
        ("/api/v2/jobs/{}/rewind", {"to": "understanding"}),
    ]
    for route, payload in bodies:
        status, body = raw_request(
            api_url,
            "POST",
            route.format(job_id).encode(),
            headers=[(b"Content-Type", b"application/json")],
            body=json.dumps(payload).encode(),
        )
        assert status == 404, (route, job_id, status, body[:200])


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v2/jobs/../../../etc/passwd",
        b"/api/v2/jobs/../jobs/" + UNKNOWN.encode(),
        b"/api/v2/drafts/../../../etc/passwd",
        b"/api/v2/hitl/../../etc/passwd/prompt",
        b"/api/v2/jobs/..%2f..%2f..%2fetc%2fpasswd/events",
    ],
)
def test_literal_dot_segments_in_job_routes(api_url: str, target: bytes) -> None:
    status, body = raw_request(api_url, "GET", target)
    assert 400 <= status < 500, (target, status, body[:200])
    assert b"root:" not in body


@pytest.mark.parametrize(
    "skill_path",
    [
        "%2e%2e/%2e%2e/etc",
        "..%2fetc",
        "\uff0e\uff0e/etc",
        "..\u2215etc",
        "_drafts",
        "_drafts/" + UNKNOWN,
        ".tmp-x",
        "a/./b",
        "a//b",
        "C:/Windows",
        "~/x",
        "/",
        " ",
    ],
)
def test_traversal_variants_in_validate(mod_http: httpx.Client, skill_path: str) -> None:
    r = mod_http.post(f"{API}/skills/validate", json={"skill_path": skill_path})
    assert_error_shape(r, 400, 404)


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


# ------------------------------------------------------------------ unknown jobs, other jobs


def test_unknown_job_on_every_job_route(mod_http: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    for method, path, body in [
        ("GET", f"{API}/jobs/{unknown}", None),
        ("GET", f"{API}/hitl/{unknown}/prompt", None),
        ("GET", f"{API}/jobs/{unknown}/events?format=json", None),
        ("GET", f"{API}/jobs/{unknown}/events", None),
        ("GET", f"{API}/drafts/{unknown}", None),
        ("POST", f"{API}/drafts/{unknown}/promote", {}),
        ("POST", f"{API}/jobs/{unknown}/rewind", {"to": "understanding"}),
        ("POST", f"{API}/jobs/{unknown}/cancel", None),
        ("POST", f"{API}/hitl/{unknown}/response", {"prompt_id": 1, "action": "proceed"}),
    ]:
        r = mod_http.request(method, path, json=body)
        assert_error_shape(r, 404)


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


def test_forged_page_token_is_400_not_503(mod_http: httpx.Client) -> None:
    for path in (f"{API}/jobs", f"{API}/hitl/pending"):
        started = time.monotonic()
        r = mod_http.get(path, params={"page_token": "AAAA"})  # base64 of 3 zero bytes
        assert_error_shape(r, 400)
        assert time.monotonic() - started < 2


# ------------------------------------------------------------------ Temporal down


def _until_not_503(call: Any, within: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        r = call()
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


def test_temporal_down_writes_fail_fast_and_work_resumes(own_stack: LocalStack) -> None:
    own_stack.start_server()
    own_stack.start_worker()
    url = own_stack.start_api()
    api = own_stack.apis[0]
    with httpx.Client(base_url=url, timeout=30) as http:
        parked = create_job(http, TASK, user_id="down", enable_hitl_confirm=True)
        prompt = wait_prompt(http, parked, "confirm")

        own_stack.stop_server(kill=True)
        calls = [
            ("POST", f"{API}/skills/create", {"task_description": TASK, "user_id": "down"}, {}),
            (
                "POST",
                f"{API}/skills/create",
                {"task_description": TASK},
                {"Idempotency-Key": "down-key"},
            ),
            (
                "POST",
                f"{API}/hitl/{parked}/response",
                {"prompt_id": prompt["prompt_id"], "action": "proceed", "response_id": "down-1"},
                {},
            ),
            ("POST", f"{API}/jobs/{parked}/cancel", None, {}),
            ("POST", f"{API}/jobs/{parked}/rewind", {"to": "understanding"}, {}),
            ("GET", f"{API}/jobs/{parked}", None, {}),
            ("GET", f"{API}/jobs", None, {}),
            ("GET", f"{API}/hitl/pending", None, {}),
        ]

        def timed(call: tuple[str, str, Any, dict[str, str]]) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            r = http.request(call[0], call[1], json=call[2], headers=call[3])
            return r, time.monotonic() - started

        with ThreadPoolExecutor(len(calls)) as pool:  # at once: each takes seconds
            results = list(pool.map(timed, calls))
        for call, (r, took) in zip(calls, results, strict=True):
            assert_error_shape(r, 503)
            # See test_temporal_down_writes_fail_within_the_rpc_timeout for the tighter bound.
            assert took < 12, (call[:2], took)
        assert http.get("/health").status_code == 503
        assert http.get(f"{API}/hitl/config").status_code == 200  # no Temporal needed
        assert api.running()

        own_stack.start_server()  # same DB; neither the API nor the worker restarts
        r = _until_not_503(
            lambda: http.post(
                f"{API}/hitl/{parked}/response",
                json={
                    "prompt_id": prompt["prompt_id"],
                    "action": "proceed",
                    "response_id": "down-1",
                },
            )
        )
        assert r.status_code == 200, r.text
        fresh = _until_not_503(
            lambda: http.post(
                f"{API}/skills/create",
                json={"task_description": TASK, "user_id": "down", "enable_hitl_preview": True},
            )
        )
        assert fresh.status_code == 202, fresh.text
        fresh_id = fresh.json()["job_id"]
        preview = wait_prompt(http, fresh_id, "preview")
        r = _until_not_503(
            lambda: answer(
                http, fresh_id, preview["prompt_id"], action="proceed", response_id="down-2"
            )
        )
        assert r.status_code == 200, r.text
        for job_id in (parked, fresh_id):
            job = wait_status(http, job_id, ["completed", "failed", "cancelled"], timeout=90)
            assert job["status"] == "completed", job.get("error")
            assert (own_stack.on_disk(job["draft_path"]) / "SKILL.md").is_file()
        assert api.running() and all(w.running() for w in own_stack.workers)
        assert len(own_stack.apis) == 1 and len(own_stack.workers) == 1


def test_temporal_down_writes_fail_within_the_rpc_timeout(own_stack: LocalStack) -> None:
    own_stack.start_server()
    own_stack.start_worker()
    url = own_stack.start_api()
    with httpx.Client(base_url=url, timeout=30) as http:
        parked = create_job(http, TASK, user_id="down", enable_hitl_confirm=True)
        prompt = wait_prompt(http, parked, "confirm")
        own_stack.stop_server(kill=True)
        took: dict[str, float] = {}
        for name, call in [
            ("create", lambda: http.post(f"{API}/skills/create", json={"task_description": TASK})),
            ("answer", lambda: answer(http, parked, prompt["prompt_id"], action="proceed")),
        ]:
            started = time.monotonic()
            assert call().status_code == 503
            took[name] = time.monotonic() - started
        assert max(took.values()) < 3 + 1.5, took
