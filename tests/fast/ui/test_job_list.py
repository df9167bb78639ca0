"""The Jobs page: filters and the page token kept in the URL, the API's ownership rule,
bad filters refused in words."""

from __future__ import annotations

import re
from html import unescape

import httpx

from api.schemas import JobSummary
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ADMIN, ALICE, Api
from tests.fast.api.samples import new_job_id
from tests.fast.ui.pages import sign_in
from workflows.models import JobStatus, Phase


def summary(user: str = "alice") -> JobSummary:
    return JobSummary(job_id=new_job_id(), status=JobStatus.PENDING_HITL,
                      current_phase=Phase.UNDERSTANDING, user_id=user, hitl_type="confirm",
                      task_description="Review Python pull requests", progress_percent=20,
                      created_at="2026-12-01T10:00:00Z", updated_at=None)


async def test_filters_reach_the_list_and_stay_in_the_links(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    job = summary()
    gateway.jobs_page = ([job], "token-2")
    await sign_in(browser, ALICE)
    r = await browser.get("/ui/jobs?status=pending_hitl&phase=&user=")
    assert r.status_code == 200
    assert gateway.called("list")[-1] == {"status": JobStatus.PENDING_HITL, "user_id": "alice",
                                          "phase": None, "page_size": 50, "page_token": None}
    assert f'<a href="/ui/jobs/{job.job_id}">Review Python pull requests</a>' in r.text
    assert '<option value="pending_hitl" selected>' in r.text
    assert 'name="user"' not in r.text  # a user's list is their own: no user filter
    [next_url] = re.findall(r'<a href="([^"]+)" rel="next">', r.text)
    assert unescape(next_url) == "/ui/jobs?status=pending_hitl&page_token=token-2"
    gateway.jobs_page = ([job], None)
    r = await browser.get(unescape(next_url))
    assert gateway.called("list")[-1]["page_token"] == "token-2"
    assert 'href="/ui/jobs?status=pending_hitl">First page</a>' in r.text
    assert 'rel="next"' not in r.text


async def test_a_user_cannot_list_someone_elses_jobs(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.jobs_page = ([summary("bob")], None)
    await sign_in(browser, ALICE)
    r = await browser.get("/ui/jobs?user=bob")
    assert r.status_code == 200 and "No jobs match." in r.text
    assert gateway.called("list") == []


async def test_an_admin_filters_by_user(ui: Api, browser: httpx.AsyncClient,
                                        gateway: FakeGateway) -> None:
    await sign_in(browser, ADMIN)
    r = await browser.get("/ui/jobs?user=bob&phase=generation")
    assert r.status_code == 200 and 'name="user"' in r.text and 'value="bob"' in r.text
    call = gateway.called("list")[-1]
    assert (call["user_id"], call["phase"]) == ("bob", Phase.GENERATION)


async def test_bad_filters_are_refused_in_words(ui: Api, browser: httpx.AsyncClient,
                                                gateway: FakeGateway) -> None:
    await sign_in(browser, ADMIN)
    for query, words in (("status=done", "Filter status must be one of: pending"),
                         ("phase=x'y", "Filter phase must be one of"),
                         ("user=a%20b", "Filter user must be a user id"),
                         ("page_token=" + "x" * 5000, "The page token is too long.")):
        r = await browser.get(f"/ui/jobs?{query}")
        assert r.status_code == 422 and words in unescape(r.text), query
    assert gateway.called("list") == []
