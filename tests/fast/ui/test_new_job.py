"""The New page: a form drawn from the create model, the create route's own rules, refusals
shown on the form, one job per submitted form, CSRF."""

from __future__ import annotations

import re
from html import unescape

import httpx

from api.schemas import CreateJobRequest
from common.job_terms import TimeoutAction
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ADMIN, ALICE, Api
from tests.fast.ui.pages import hidden, sign_in
from workflows.models import JobInput

TASK = "Triage flaky integration tests in a Python monorepo"


async def post_new(client: httpx.AsyncClient, fields: dict[str, str],
                   *, page: str | None = None) -> httpx.Response:
    html = page or (await client.get("/ui/new")).text
    data = {"csrf": hidden(html, "csrf"), "request_id": hidden(html, "request_id"), **fields}
    return await client.post("/ui/new", data=data)


def field_error(html: str, name: str) -> str:
    found = re.search(rf'id="{re.escape(name)}-error" role="alert">([^<]*)<', html)
    assert found, f"no error on {name!r}"
    return unescape(found.group(1))


def started(gateway: FakeGateway) -> JobInput:
    [call] = gateway.called("start")
    job: JobInput = call["job"]
    return job


async def test_the_form_has_every_create_option_of_the_api_model(
        ui: Api, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, ALICE)
    r = await browser.get("/ui/new")
    assert r.status_code == 200
    names = set(re.findall(r'name="([a-z_]+)"', r.text))
    # Drawn from the model: every field a user may set is there (the owner is theirs).
    assert set(CreateJobRequest.model_fields) - {"user_id"} <= names
    assert "user_id" not in names
    for flag in ("enable_hitl_confirm", "enable_hitl_preview", "enable_hitl_review"):
        assert f'type="checkbox" name="{flag}"' in r.text
    assert re.search(r'type="radio" name="on_hitl_timeout" value="cancel"\s+checked', r.text)
    assert '<a href="/ui/new">New</a>' in r.text


async def test_a_valid_form_creates_the_job_and_opens_its_page(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ALICE)
    r = await post_new(browser, {"task_description": TASK, "enable_hitl_confirm": "true",
                                 "enable_hitl_review": "true", "hitl_timeout_seconds": "90",
                                 "on_hitl_timeout": "proceed", "webhook_url": ""})
    assert r.status_code == 303, r.text[:500]
    job = started(gateway)
    assert r.headers["location"] == f"/ui/jobs/{job.job_id}?created=1"
    assert (job.user_id, job.task_description) == ("alice", TASK)
    assert (job.enable_hitl_confirm, job.enable_hitl_preview, job.enable_hitl_review) == (
        True, False, True)
    assert (job.hitl_timeout_seconds, job.on_hitl_timeout) == (90, TimeoutAction.PROCEED)
    page = await browser.get(r.headers["location"])
    assert "The job was created." in page.text


async def test_the_same_form_sent_twice_makes_one_job(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ALICE)
    html = (await browser.get("/ui/new")).text
    first = await post_new(browser, {"task_description": TASK}, page=html)
    again = await post_new(browser, {"task_description": TASK}, page=html)
    assert first.headers["location"] == again.headers["location"]
    starts = gateway.called("start")
    assert len(starts) == 2 and all(s["fingerprint"] for s in starts)  # Temporal dedupes
    assert starts[0]["job"].job_id == starts[1]["job"].job_id
    other = await post_new(browser, {"task_description": TASK})  # a fresh form: a new job
    assert other.headers["location"] != first.headers["location"]


async def test_what_the_model_refuses_is_shown_on_its_field(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ALICE)
    r = await post_new(browser, {"task_description": "too short", "hitl_timeout_seconds": "0"})
    assert r.status_code == 422
    assert "The job was not created; see the marked fields." in r.text
    assert "at least 10 characters" in field_error(r.text, "task_description")
    assert "greater than 0" in field_error(r.text, "hitl_timeout_seconds")
    assert ">too short</textarea>" in r.text  # what was typed stays
    r = await post_new(browser, {"task_description": TASK, "hitl_timeout_seconds": "soon"})
    assert r.status_code == 422
    assert field_error(r.text, "hitl_timeout_seconds").endswith(": enter a number")
    assert gateway.called("start") == []


async def test_the_create_routes_refusals_are_shown_in_words(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ALICE)
    r = await post_new(browser, {"task_description": TASK,
                                 "webhook_url": "https://hooks.example.com/x"})
    assert r.status_code == 422  # the server allows no per-job receivers
    assert "The job was not created: webhook_url:" in unescape(r.text)
    assert "SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS" in field_error(r.text, "webhook_url")
    assert 'value="https://hooks.example.com/x"' in r.text
    gateway.active = 100  # the active-job cap of the API
    r = await post_new(browser, {"task_description": TASK})
    assert r.status_code == 429 and "already has 100 active jobs" in unescape(r.text)
    assert gateway.called("start") == []


async def test_a_user_cannot_name_another_owner(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ALICE)
    r = await post_new(browser, {"task_description": TASK, "user_id": "bob"})
    assert r.status_code == 303 and started(gateway).user_id == "alice"  # not a field of hers


async def test_an_admin_creates_for_another_user(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ADMIN)
    html = (await browser.get("/ui/new")).text
    assert 'name="user_id"' in html
    r = await post_new(browser, {"task_description": TASK, "user_id": "bob"}, page=html)
    assert r.status_code == 303 and started(gateway).user_id == "bob"
    r = await post_new(browser, {"task_description": TASK, "user_id": "no spaces"})
    assert r.status_code == 422 and "pattern" in field_error(r.text, "user_id")


async def test_a_form_without_the_sessions_token_creates_nothing(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ALICE)
    r = await browser.post("/ui/new", data={"csrf": "forged", "task_description": TASK})
    assert r.status_code == 403 and gateway.called("start") == []
    anonymous = await browser.post("/ui/sign-out", data={
        "csrf": hidden((await browser.get("/ui/new")).text, "csrf")})
    assert anonymous.status_code == 303
    assert (await browser.get("/ui/new")).headers["location"] == "/ui/sign-in"


async def test_open_local_mode_creates_as_default(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    r = await post_new(open_browser, {"task_description": TASK,
                                      "enable_hitl_preview": "true"})
    assert r.status_code == 303
    job = started(gateway)
    assert (job.user_id, job.enable_hitl_preview) == ("default", True)
