"""The reviewer page across a restart of its API process, in Chromium.

The page is served by an API instance of this module's own, on a fixed port, on the
session's Temporal and worker. With a job page and the inbox open, that instance stops:
both pages say they are disconnected. Meanwhile the prompt is answered through another
instance, so the job moves on to its next prompt. The instance comes back on the same
port (with the same session secret, so the reviewer stays signed in), and both pages
reconnect by themselves, re-read their state and show the new prompt: no reload (a
marker set in each page survives), nothing missed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.auth import hash_key
from devstack.processes import ManagedProcess, free_port
from tests.browser.conftest import (
    REVIEWER,
    REVIEWER_KEY,
    Browser,
    assert_stayed_home,
    open_page,
    sign_in,
)
from tests.browser.test_live_and_keys import TASK, live, not_reloaded
from tests.support import LocalStack, answer, create_job, get_job, wait_prompt

LIVE_TIMEOUT = 20_000  # ms: the page's retry back-off, then one inbox poll
# What the browser logs when a server goes away under an open stream or a re-read.
OUTAGE_ERRORS = ("net::ERR_INCOMPLETE_CHUNKED_ENCODING", "net::ERR_CONNECTION_REFUSED",
                 "net::ERR_EMPTY_RESPONSE", "net::ERR_CONNECTION_RESET")


@dataclass
class OwnApi:
    """An API instance that can stop and come back on the same port."""

    stack: LocalStack
    port: int
    env: dict[str, str]
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.stack.start_api(self.port, **self.env)
        self.process = self.stack.apis[-1]

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=5)


@pytest.fixture
def own_api(stack: LocalStack) -> Iterator[OwnApi]:
    keys = [{"key_sha256": hash_key(REVIEWER_KEY), "user_id": REVIEWER, "role": "user"}]
    api = OwnApi(stack, free_port(), {
        "SKILL_FLEET_API_KEYS": json.dumps(keys),
        # A fixed secret: the session cookie stays valid across the restart.
        "SKILL_FLEET_UI_SESSION_SECRET": "reconnect-test-session-secret-0123456789abcdef"})
    api.start()
    try:
        yield api
    finally:
        api.stop()


def disconnected(page: Page) -> None:
    expect(page.locator("#live-banner")).to_be_visible()
    expect(page.locator("#live-banner")).to_contain_text("Disconnected")
    expect(page.locator("body")).to_have_attribute("data-live-state", "down")


def test_the_page_catches_up_after_its_api_restarts(
        page: Page, browser: Browser, own_api: OwnApi, reviewer_http: httpx.Client) -> None:
    job_id = create_job(reviewer_http, TASK, enable_hitl_confirm=True,
                        enable_hitl_preview=True)
    prompt_id = wait_prompt(reviewer_http, job_id, "confirm")["prompt_id"]
    try:
        sign_in(page, own_api.url, REVIEWER_KEY)
        row = page.locator(f'tr[data-job="{job_id}"]')
        expect(row).to_have_count(1, timeout=LIVE_TIMEOUT)
        live(page)
        job_page = open_page(browser)
        job_page.goto(f"{own_api.url}/ui/jobs/{job_id}")
        expect(job_page.locator("#prompt-title")).to_contain_text("Confirm the plan")
        live(job_page)

        own_api.stop()
        disconnected(page)
        disconnected(job_page)
        # meanwhile the prompt is answered through another instance: the job moves on
        assert answer(reviewer_http, job_id, prompt_id, action="proceed").status_code == 200
        wait_prompt(reviewer_http, job_id, "preview")

        own_api.start()
        # the outage itself is logged by the browser: only network errors, nothing else
        outage, browser.console_errors[:] = list(browser.console_errors), []
        assert all(e.endswith(OUTAGE_ERRORS) for e in outage), outage
        expect(job_page.locator("#prompt-title")).to_contain_text(
            "Review the draft SKILL.md", timeout=LIVE_TIMEOUT)
        expect(job_page.locator("#timeline-region")).to_contain_text(
            f"answered (proceed) by {REVIEWER}")
        expect(row).to_have_attribute("data-prompt", str(prompt_id + 1), timeout=LIVE_TIMEOUT)
        expect(row).to_contain_text("preview")
        for each in (page, job_page):
            expect(each.locator("#live-banner")).to_be_hidden()
            expect(each.locator("body")).to_have_attribute("data-live-state", "up")
            assert not_reloaded(each)
        job_page.close()
    finally:
        if get_job(reviewer_http, job_id)["status"] not in ("completed", "cancelled"):
            reviewer_http.post(f"/api/v2/jobs/{job_id}/cancel")
    assert_stayed_home(browser)
