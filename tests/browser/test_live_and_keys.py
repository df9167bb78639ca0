"""The reviewer page updating by itself, and used with the keyboard alone, in Chromium.

Two reviewers in two browser contexts: the admin's inbox shows a prompt the moment a job
raises it and drops it, saying who answered it, when the other reviewer answers it; a job
page shows the next prompt, and who answered, after an answer given through the API; a
whole answer with j/k, Enter, r (with feedback) and a. A marker set in the page proves
nothing was reloaded.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ADMIN_KEY,
    REVIEWER,
    REVIEWER_KEY,
    Browser,
    assert_stayed_home,
    open_page,
    sign_in,
)
from tests.support import answer, create_job, wait_prompt, wait_status

TASK = "Summarise failing CI runs from their logs for the on-call engineer"
LIVE_TIMEOUT = 20_000  # ms: visibility, then one poll of the inbox stream


def live(page: Page) -> None:
    """The page's stream is open; mark the page so that a reload would show."""
    expect(page.locator("body")).to_have_attribute("data-live-state", "up")
    page.evaluate("window.notReloaded = true")


def not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.notReloaded === true"))


def test_the_inbox_of_another_reviewer_follows_a_prompt_live(
        page: Page, browser: Browser, other_browser: Browser, ui_url: str,
        reviewer_http: httpx.Client, jobs: list[str]) -> None:
    admin = open_page(other_browser)
    sign_in(admin, ui_url, ADMIN_KEY)
    live(admin)

    jobs.append(job_id := create_job(reviewer_http, TASK, enable_hitl_confirm=True))
    row = admin.locator(f'tr[data-job="{job_id}"]')
    expect(row).to_have_count(1, timeout=LIVE_TIMEOUT)  # raised: it appears by itself
    expect(row).to_contain_text("confirm")
    expect(admin.locator("#live-news")).to_contain_text("New prompt:")

    sign_in(page, ui_url, REVIEWER_KEY)  # the other reviewer answers in the page
    page.goto(f"{ui_url}/ui/jobs/{job_id}")
    page.locator("section.prompt").get_by_role("button", name="Proceed").click()
    expect(page.locator(".notice")).to_contain_text("Your answer (proceed) was taken.")

    expect(row).to_have_count(0, timeout=LIVE_TIMEOUT)  # answered: it leaves, saying so
    expect(admin.locator("#live-news")).to_contain_text(
        f"(confirm) was answered (proceed) by {REVIEWER}")
    assert not_reloaded(admin)
    wait_status(reviewer_http, job_id, ["completed"])
    assert_stayed_home(browser)
    assert_stayed_home(other_browser)


def test_the_job_page_shows_the_next_prompt_after_an_answer_through_the_api(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client,
        jobs: list[str]) -> None:
    jobs.append(job_id := create_job(reviewer_http, TASK, enable_hitl_confirm=True,
                                     enable_hitl_preview=True))
    prompt_id = wait_prompt(reviewer_http, job_id, "confirm")["prompt_id"]
    sign_in(page, ui_url, REVIEWER_KEY)
    page.goto(f"{ui_url}/ui/jobs/{job_id}")
    expect(page.locator("#prompt-title")).to_contain_text("Confirm the plan")
    live(page)

    assert answer(reviewer_http, job_id, prompt_id, action="proceed").status_code == 200
    expect(page.locator("#prompt-title")).to_contain_text("Review the draft SKILL.md")
    expect(page.locator("#live-news")).to_contain_text("New prompt: Review the draft")
    expect(page.locator("#timeline-region")).to_contain_text(
        f"answered (proceed) by {REVIEWER}")
    assert not_reloaded(page)
    assert_stayed_home(browser)


def test_a_keyboard_only_review(page: Page, browser: Browser, ui_url: str,
                                reviewer_http: httpx.Client, jobs: list[str]) -> None:
    jobs.append(job_id := create_job(reviewer_http, TASK, enable_hitl_confirm=True))
    sign_in(page, ui_url, REVIEWER_KEY)
    live(page)
    mine = page.locator(f'tr[data-job="{job_id}"]')
    expect(mine).to_have_count(1, timeout=LIVE_TIMEOUT)

    page.keyboard.press("?")  # the list of shortcuts
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    rows = page.locator("tr[data-job]").count()
    for _ in range(rows):  # j walks down the inbox to this job's row
        page.keyboard.press("j")
        if mine.get_attribute("aria-current") == "true":
            break
    expect(mine).to_have_class("selected")
    if rows > 1:  # k goes back up, and j returns
        page.keyboard.press("k")
        page.keyboard.press("j")
        expect(mine).to_have_attribute("aria-current", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{ui_url}/ui/jobs/{job_id}")
    expect(page.locator("#prompt-title")).to_contain_text("prompt 1,")
    # The page's scripts run after it is parsed: a key pressed before then is not heard.
    page.wait_for_load_state("domcontentloaded")
    live(page)

    page.keyboard.press("r")  # no feedback yet: to the feedback field
    feedback = page.get_by_label("Feedback")
    expect(feedback).to_be_focused()
    page.keyboard.type("Add a worked example and cancel nothing")  # a, r, c typed: no action
    expect(feedback).to_have_value("Add a worked example and cancel nothing")
    page.keyboard.press("Escape")  # leave the field
    page.keyboard.press("r")  # feedback written: revise is sent
    expect(page.locator(".notice")).to_contain_text("Your answer (revise) was taken.")
    expect(page.locator("#prompt-title")).to_contain_text("prompt 2,")
    live(page)  # the answer reloaded the page: its keys are heard once its scripts ran

    page.keyboard.press("c")  # cancel only asks
    expect(page.locator("details.cancel-confirm")).to_have_attribute("open", "")
    expect(page.get_by_role("button", name="Yes, cancel the job")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator(".notice")).to_contain_text("Your answer (proceed) was taken.")
    wait_status(reviewer_http, job_id, ["completed"])
    assert_stayed_home(browser)
