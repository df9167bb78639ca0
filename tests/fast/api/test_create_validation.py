"""`POST /skills/create`: every field refused when wrong, and nothing started.

A refused create must not reach the gateway (no workflow, no count against the cap);
an accepted one must hand the workflow exactly what was validated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from common.settings import Settings
from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api, make_settings, running_api
from tests.fast.api.samples import API, TASK

NUL = "\x00"
CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\x7f"]
CREATE = f"{API}/skills/create"
ALLOWED_HOSTS = ["127.0.0.1", "example.com", "*.hooks.example.org"]


@pytest.fixture(scope="module")
def settings(skills_root: Path) -> Settings:
    """Per-job webhooks allowed to a few hosts, so their URLs are checked, not refused."""
    return make_settings(skills_root, webhook_allowed_hosts=ALLOWED_HOSTS)

WRONG: list[tuple[dict[str, Any], str]] = [
    ({}, "task_description"),
    ({"task_description": "short"}, "task_description"),
    ({"task_description": "x" * 4001}, "task_description"),
    ({"task_description": 12345678901}, "task_description"),
    ({"task_description": ["Review Python pull requests"]}, "task_description"),
    ({"task_description": {"text": "Review Python pull requests"}}, "task_description"),
    ({"task_description": None}, "task_description"),
    ({"task_description": True}, "task_description"),
    ({"task_description": TASK, "enable_hitl_confirm": "sometimes"}, "enable_hitl_confirm"),
    ({"task_description": TASK, "enable_hitl_preview": [True]}, "enable_hitl_preview"),
    ({"task_description": TASK, "enable_hitl_review": {"on": True}}, "enable_hitl_review"),
    ({"task_description": TASK, "enable_hitl_review": 2}, "enable_hitl_review"),
    ({"task_description": TASK, "hitl_timeout_seconds": "soon"}, "hitl_timeout_seconds"),
    ({"task_description": TASK, "hitl_timeout_seconds": 0}, "hitl_timeout_seconds"),
    ({"task_description": TASK, "hitl_timeout_seconds": -1}, "hitl_timeout_seconds"),
    ({"task_description": TASK, "hitl_timeout_seconds": 30 * 24 * 3600 + 1},
     "hitl_timeout_seconds"),
    ({"task_description": TASK, "hitl_timeout_seconds": 1e30}, "hitl_timeout_seconds"),
    ({"task_description": TASK, "hitl_timeout_seconds": 10**400}, "hitl_timeout_seconds"),
    ({"task_description": TASK, "user_id": 42}, "user_id"),
    ({"task_description": TASK, "user_id": ["a"]}, "user_id"),
    ({"task_description": TASK, "user_id": "../etc"}, "user_id"),
    ({"task_description": TASK, "user_id": "a' OR '1'='1"}, "user_id"),
    ({"task_description": TASK, "user_id": ""}, "user_id"),
    ({"task_description": TASK, "user_id": "u" * 129}, "user_id"),
    ({"task_description": TASK, "user_id": f"bad{NUL}user"}, "user_id"),
    ({"task_description": TASK, "webhook_url": 7}, "webhook_url"),
    ({"task_description": TASK, "webhook_url": "not a url"}, "webhook_url"),
    ({"task_description": TASK, "webhook_url": "file:///etc/passwd"}, "webhook_url"),
    ({"task_description": TASK, "webhook_url": "ftp://example.com/hook"}, "webhook_url"),
    ({"task_description": TASK, "webhook_url": f"http://127.0.0.1{NUL}:9/"}, "webhook_url"),
    ({"task_description": TASK, "webhook_url": "https://example.com/" + "a" * 2000},
     "webhook_url"),
    ({"task_description": TASK, "on_hitl_timeout": "explode"}, "on_hitl_timeout"),
    ({"task_description": TASK, "on_hitl_timeout": True}, "on_hitl_timeout"),
    ({"task_description": TASK, "on_hitl_timeout": f"cancel{NUL}"}, "on_hitl_timeout"),
    ({"task_description": TASK, "surprise": 1}, "surprise"),
    ({"task_description": TASK, f"enable_hitl_confirm{NUL}": True}, f"enable_hitl_confirm{NUL}"),
]


@pytest.mark.parametrize(("body", "field"), WRONG,
                         ids=lambda v: repr(v)[:40] if isinstance(v, dict) else None)
async def test_wrong_fields_are_422_and_start_nothing(
    api: Api, gateway: FakeGateway, body: dict[str, Any], field: str
) -> None:
    r = await api.http.post(CREATE, json=body)
    assert validation_error(r, field)["error"].startswith(field)
    assert gateway.calls == []


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
async def test_non_finite_numbers_are_refused(api: Api, gateway: FakeGateway,
                                              literal: bytes) -> None:
    raw = b'{"task_description": "%s", "hitl_timeout_seconds": %s}' % (TASK.encode(), literal)
    r = await api.http.post(CREATE, content=raw, headers={"content-type": "application/json"})
    validation_error(r, "hitl_timeout_seconds")
    assert gateway.calls == []


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
async def test_control_characters_in_the_task_are_refused(
    api: Api, gateway: FakeGateway, char: str
) -> None:
    """Free text reaches SKILL.md; a control character there is corruption."""
    r = await api.http.post(CREATE, json={"task_description": f"Review Python{char} code"})
    assert "control characters" in validation_error(r, "task_description")["error"]
    assert gateway.calls == []


UNICODE_TASK = (
    "Review \u202eRTL\u202c Python \u200bpull requests \U0001f9ea"
    "\U0001d518\U0001d52b\U0001d526 for security issues: na\u00efve e\u0301 "
    "caf\u00e9 \u6f22\u5b57 \U0001f600\ttabs\nand lines\r\n"
)


async def test_unicode_tabs_and_newlines_are_kept_exactly(api: Api,
                                                          gateway: FakeGateway) -> None:
    r = await api.http.post(CREATE, json={"task_description": UNICODE_TASK})
    assert r.status_code == 202, r.text
    assert gateway.called("start")[0]["job"].task_description == UNICODE_TASK


async def test_a_nul_in_a_webhook_path_is_percent_encoded(api: Api,
                                                          gateway: FakeGateway) -> None:
    r = await api.http.post(CREATE, json={"task_description": TASK,
                                          "webhook_url": f"http://127.0.0.1:9/hook{NUL}x"})
    assert r.status_code == 202, r.text
    url = gateway.called("start")[0]["job"].webhook_url
    assert url == "http://127.0.0.1:9/hook%00x"


@pytest.mark.parametrize("url", ["https://example.net/hook", "https://hooks.example.org/x",
                                 "http://localhost:9/", "http://127.0.0.2/", "http://[::1]/"])
async def test_a_webhook_host_off_the_allow_list_is_422(api: Api, gateway: FakeGateway,
                                                        url: str) -> None:
    """The worker POSTs from inside the network: a job may only name allowed hosts."""
    r = await api.http.post(CREATE, json={"task_description": TASK, "webhook_url": url})
    body = error_body(r, 422)
    assert "not in SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS" in body["error"]
    assert body["details"]["errors"][0]["type"] == "webhook_host_not_allowed"
    assert gateway.calls == []


@pytest.mark.parametrize("url", ["https://EXAMPLE.com./hook", "https://a.hooks.example.org/x",
                                 "http://127.0.0.1:9/"])
async def test_a_webhook_host_on_the_allow_list_is_kept(api: Api, gateway: FakeGateway,
                                                        url: str) -> None:
    r = await api.http.post(CREATE, json={"task_description": TASK, "webhook_url": url})
    assert r.status_code == 202, r.text
    assert gateway.called("start")[0]["job"].webhook_url


async def test_no_allow_list_refuses_every_job_webhook(skills_root: Path) -> None:
    gateway = FakeGateway()
    operator = make_settings(skills_root, webhook_url="https://ops.internal/hook")
    async with running_api(operator, gateway=gateway) as api:
        r = await api.http.post(CREATE, json={"task_description": TASK,
                                              "webhook_url": "https://example.com/hook"})
        assert "accepts no per-job webhook URLs" in error_body(r, 422)["error"]
        assert (await api.http.post(CREATE, json={"task_description": TASK})).status_code == 202
    [start] = gateway.called("start")
    # the worker resolves the operator's receiver: its URL never enters the job's input
    assert (start["job"].operator_webhook, start["job"].webhook_url) == (True, None)


async def test_limits_are_inclusive(api: Api, gateway: FakeGateway) -> None:
    body = {"task_description": "x" * 4000, "user_id": "u" * 128,
            "hitl_timeout_seconds": 30 * 24 * 3600}
    assert (await api.http.post(CREATE, json=body)).status_code == 202
    assert (await api.http.post(CREATE, json={"task_description": "x" * 10})).status_code == 202
    assert len(gateway.called("start")) == 2


async def test_the_job_gets_what_was_validated_and_the_settings_defaults(
    api: Api, gateway: FakeGateway
) -> None:
    r = await api.http.post(CREATE, json={"task_description": TASK, "user_id": "carol",
                                          "enable_hitl_review": True,
                                          "on_hitl_timeout": "proceed",
                                          "webhook_url": "https://example.com/hook"})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    job = gateway.called("start")[0]["job"]
    assert r.json()["job_id"] == job.job_id
    assert (job.user_id, job.enable_hitl_review, job.enable_hitl_confirm) == ("carol", True, False)
    assert job.on_hitl_timeout == "proceed" and job.webhook_url == "https://example.com/hook"
    assert job.hitl_timeout_seconds == api.settings.hitl_timeout_seconds
    assert job.max_revisions == api.settings.max_revisions


async def test_the_active_job_cap(api: Api, gateway: FakeGateway) -> None:
    gateway.active = api.settings.max_active_jobs_per_user
    body = error_body(await api.http.post(CREATE, json={"task_description": TASK}), 429)
    assert "100 active jobs" in body["error"]
    assert [c.name for c in gateway.calls] == ["active_jobs"]
