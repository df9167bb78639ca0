"""The reviewer page in a real browser against the real stack (Temporal, worker, API).

A job with the confirm and preview checkpoints, created through the API, is reviewed
entirely in the page: sign in, find it in the inbox, revise the plan with feedback, then
proceed, read the rendered SKILL.md, proceed, and see the job complete. A second test
answers a prompt through the API while the page shows it, and expects the page's late
submit to be refused in words.
"""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browser, assert_stayed_home, sign_in
from tests.support import answer, create_job, get_job, wait_prompt, wait_status

TASK = "Review Python pull requests for security issues and missing tests"


def open_from_inbox(page: Page, job_id: str, skill_name: str, timeout: float = 20.0) -> None:
    """The inbox is read from Temporal visibility, a moment behind the job: reload."""
    row = page.locator(f'tr[data-job="{job_id}"]')
    deadline = time.monotonic() + timeout
    while row.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    expect(row).to_have_count(1)
    expect(row).to_contain_text("confirm")
    expect(row.get_by_role("link")).to_have_text(skill_name)
    expect(page).to_have_title(re.compile(r"^\(\d+\) Inbox"))
    row.get_by_role("link").click()


def wait_for_status(page: Page, status: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while page.locator("#job-status").inner_text() != status and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    expect(page.locator("#job-status")).to_have_text(status)


def test_a_reviewer_takes_a_job_through_confirm_and_preview(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client) -> None:
    job_id = create_job(reviewer_http, TASK, enable_hitl_confirm=True,
                        enable_hitl_preview=True)
    wait_prompt(reviewer_http, job_id, "confirm")
    skill_name = get_job(reviewer_http, job_id)["skill_name"]
    sign_in(page, ui_url)
    expect(page.get_by_text("Signed in as")).to_contain_text("rita")
    open_from_inbox(page, job_id, skill_name)
    prompt = page.locator("section.prompt")
    expect(page.locator("#prompt-title")).to_contain_text("Confirm the plan")

    # revise without saying what: refused next to the form, nothing sent
    prompt.get_by_role("button", name="Revise").click()
    expect(page.locator("#form-error")).to_contain_text("does not fit")
    expect(page.locator("#prompt-title")).to_contain_text("prompt 1,")
    # revise with feedback: the same checkpoint comes back as the next prompt
    page.get_by_label("Feedback").fill("Cover SQL injection too.")
    prompt.get_by_role("button", name="Revise").click()
    expect(page.locator(".notice")).to_contain_text("Your answer (revise) was taken.")
    expect(page.locator("#prompt-title")).to_contain_text("prompt 2,")
    expect(prompt).to_contain_text("revisions left: 2")
    prompt.get_by_role("button", name="Proceed").click()

    # preview: SKILL.md rendered as Markdown, and its source
    expect(page.locator("#prompt-title")).to_contain_text("Review the draft SKILL.md")
    rendered = page.locator("#skill-rendered")
    expect(rendered.locator("h1")).to_have_count(1)
    expect(rendered.locator("h2").first).to_be_visible()
    expect(rendered.get_by_role("heading", name="Instructions")).to_be_visible()
    expect(rendered.get_by_role("listitem").first).to_be_visible()
    expect(rendered).not_to_contain_text("---")  # the frontmatter is shown apart
    page.get_by_text("Source of SKILL.md").click()
    expect(page.locator("#skill-source")).to_contain_text("name:")
    prompt.get_by_role("button", name="Proceed").click()

    wait_for_status(page, "completed")
    expect(page.locator("section.prompt")).to_have_count(0)
    expect(page.locator(".timeline")).to_contain_text("answer_accepted")
    assert wait_status(reviewer_http, job_id, ["completed"])["validation_passed"] is True
    assert_stayed_home(browser)


def test_a_late_submit_is_refused_in_words(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client) -> None:
    job_id = create_job(reviewer_http, TASK, enable_hitl_confirm=True)
    prompt_id = wait_prompt(reviewer_http, job_id, "confirm")["prompt_id"]
    sign_in(page, ui_url)
    page.goto(f"{ui_url}/ui/jobs/{job_id}")
    expect(page.get_by_role("button", name="Proceed")).to_be_visible()

    # meanwhile, someone answers the same prompt through the API
    assert answer(reviewer_http, job_id, prompt_id, action="proceed").status_code == 200
    page.get_by_role("button", name="Proceed").click()
    expect(page.locator("#form-error")).to_contain_text("This prompt was already answered")
    wait_status(reviewer_http, job_id, ["completed"])
    assert_stayed_home(browser)
