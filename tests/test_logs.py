"""Structured logs: with SKILL_FLEET_LOG_FORMAT=json every line of the API and the worker
is one JSON object, request and job lines carry their ids, and no secret is ever logged.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.logging import ContextFilter, JsonLineFormatter, TextFormatter, bind
from devstack.processes import wait_until
from tests.support import API, LocalStack, answer, create_job, wait_prompt, wait_status
from tests.webhook_receivers import Answer, Receiver

API_KEY = "sk-logs-test-3f9c2a7e51d04b8e"
WRONG_KEY = "sk-logs-wrong-9d8e7f6a5b4c"
WEBHOOK_SECRET = "whsec-logs-test-0b1c2d3e4f"
LLM_KEY = "sk-llm-logs-test-77aa88bb99cc"
HOOK_TOKEN = "T0KEN-in-the-webhook-url-5e6f"  # Slack-style: the URL is the credential
SECRETS = (API_KEY, WRONG_KEY, WEBHOOK_SECRET, LLM_KEY, HOOK_TOKEN)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver that refuses the first delivery, so the worker logs a retry."""
    calls = itertools.count(1)
    with Receiver(lambda _: Answer(503 if next(calls) == 1 else 204)) as r:
        yield r


def records(path: Path) -> list[dict[str, Any]]:
    """Every line of a log file as JSON; a line that does not parse fails the test."""
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"{path.name}:{n} is not JSON: {line[:300]}")
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        out.append(record)
    return out


def test_json_logs_carry_ids_and_no_secrets(own_stack: LocalStack,
                                            receiver: Receiver) -> None:
    keys = json.dumps([{"key_sha256": hashlib.sha256(API_KEY.encode()).hexdigest(),
                        "user_id": "ops", "role": "admin"}])
    json_logs = {"SKILL_FLEET_LOG_FORMAT": "json"}
    own_stack.start_server()
    hook = f"{receiver.url}/{HOOK_TOKEN}"  # the worker delivers; the API marks jobs for it
    [url] = own_stack.start_workers_and_apis(
        worker_env={**json_logs, "SKILL_FLEET_WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "SKILL_FLEET_WEBHOOK_URL": hook, "SKILL_FLEET_LLM_API_KEY": LLM_KEY},
        api_env={**json_logs, "SKILL_FLEET_API_KEYS": keys, "SKILL_FLEET_WEBHOOK_URL": hook,
                 "SKILL_FLEET_PROMOTION_WINDOW_SECONDS": "1"})
    with httpx.Client(base_url=url, timeout=30,
                      headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        job_id = create_job(http, enable_hitl_confirm=True)
        prompt = wait_prompt(http, job_id, "confirm")
        traced = answer(http, job_id, prompt["prompt_id"], action="proceed")
        assert traced.status_code == 200
        request_id = http.get(f"{API}/jobs/{job_id}",
                              headers={"X-Request-ID": "trace-me-42"}).headers["X-Request-ID"]
        wait_status(http, job_id, ["completed"])
        refused = http.get(f"{API}/jobs", headers={"Authorization": f"Bearer {WRONG_KEY}"})
        assert refused.status_code == 401
    wait_until(lambda: receiver.count() >= 2, timeout=30, what="webhook retried")
    own_stack.stop()  # flush: shutdown lines are records too

    api = records(own_stack.logs / "api0.log")
    worker = records(own_stack.logs / "worker0.log")

    # API: one access line per request, with the id the caller chose or one we made.
    access = [r for r in api if r["logger"] == "skill_fleet.access"]
    assert access and all(r.get("request_id") for r in access)
    assert all({"method", "route", "status", "duration_ms"} <= r.keys() for r in access)
    mine = [r for r in access if r["request_id"] == request_id == "trace-me-42"]
    assert len(mine) == 1
    assert mine[0]["route"] == "/api/v2/jobs/{job_id}" and mine[0]["job_id"] == job_id
    about_job = [r for r in access if job_id in r["path"]]
    assert about_job and all(r["job_id"] == job_id for r in about_job)
    assert any(r["status"] == 401 for r in access)
    started = [r for r in api if r["message"].startswith("job started")]
    assert [(r["job_id"], bool(r.get("request_id"))) for r in started] == [(job_id, True)]
    assert any(r["logger"] == "uvicorn.error" for r in api)  # uvicorn's lines are JSON too

    # Worker: author calls and the SDK's retry warning name the job (its workflow id).
    authors = [r for r in worker if r["logger"] == "skill_fleet.author"]
    assert authors and all(r["job_id"] == job_id for r in authors)
    retried = [r for r in worker if r["level"] == "WARNING" and "deliver_webhook" in json.dumps(r)]
    assert retried and all(r["job_id"] == job_id for r in retried)

    text = "".join(p.read_text() for p in own_stack.logs.glob("*.log"))
    for secret in SECRETS:
        assert secret not in text


# ------------------------------------------------------------------ formatters in-process


def emit(formatter: logging.Formatter, **extra: Any) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("skill_fleet.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with bind(request_id="req-1", job_id="job-1"):
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("it failed", extra=extra)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_json_lines_keep_tracebacks_on_one_line() -> None:
    first, second = emit(JsonLineFormatter(), route="/x").splitlines()
    record = json.loads(first)
    assert record["level"] == "ERROR" and record["message"] == "it failed"
    assert record["request_id"] == "req-1" and record["job_id"] == "job-1"
    assert record["route"] == "/x" and "ValueError: boom" in record["exc_info"]
    assert record["time"].endswith("+00:00")
    assert "request_id" not in json.loads(second)  # the binding ended with its block


def test_text_lines_end_with_the_ids() -> None:
    text = emit(TextFormatter())
    assert " ERROR skill_fleet.test_logs it failed [request_id=req-1 job_id=job-1]" in text
    assert "ValueError: boom" in text
    assert text.rstrip().endswith("WARNING skill_fleet.test_logs outside")
