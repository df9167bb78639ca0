"""From /ui/new to a promoted skill in a real browser against the real stack.

The reviewer creates a job with the preview checkpoint from the New page, rewinds it from
the preview to generation with a note, proceeds at the new preview, opens the finished
job's versions (the second against the first) and promotes it. A second job writes the
same skill: its promotion is refused in the API's words until the reviewer ticks
overwrite, which replaces the first.
"""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Browser, assert_stayed_home, sign_in
from tests.browser.test_reviewer_page import wait_for_status
from tests.support import create_job, get_job, wait_status

TASK = "Summarise failing CI runs of a GitHub Actions workflow for the on-call engineer"


def wait_for(page: Page, locator: Locator, timeout: float = 30.0) -> None:
    """The page updates itself; a reload now and then makes the wait robust to a missed
    message (the live updates have their own tests)."""
    deadline = time.monotonic() + timeout
    while locator.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        if locator.count() == 0:
            page.reload()
    expect(locator.first).to_be_visible()


def test_a_job_created_in_the_page_becomes_a_promoted_skill(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client) -> None:
    sign_in(page, ui_url)
    page.get_by_role("link", name="New", exact=True).click()
    expect(page).to_have_url(f"{ui_url}/ui/new")

    # refused on the form, in the model's words, with what was typed kept
    page.get_by_label("What should the skill do?").fill("too short")
    page.get_by_role("button", name="Create the job").click()
    expect(page.locator("#form-error")).to_contain_text("The job was not created")
    expect(page.locator("#task_description-error")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("What should the skill do?")).to_have_value("too short")

    page.get_by_label("What should the skill do?").fill(TASK)
    page.get_by_label("Review the draft SKILL.md before it is validated").check()
    page.get_by_role("button", name="Create the job").click()
    expect(page.locator(".notice")).to_have_text("The job was created.")
    job_id = re.search(r"/ui/jobs/([0-9a-f-]{36})", page.url).group(1)  # type: ignore[union-attr]
    job = get_job(reviewer_http, job_id)
    assert (job["user_id"], job["task_description"]) == ("rita", TASK)
    assert job["options"]["enable_hitl_preview"] is True
    assert job["options"]["enable_hitl_confirm"] is False

    wait_for(page, page.locator('#prompt-title:has-text("Review the draft SKILL.md")'))
    # rewind from the preview: the author writes again, the preview comes back
    page.get_by_text("Send the job back to an earlier phase").click()
    page.get_by_label("Generation").check()
    page.get_by_label("Note for the author").fill("Add a section on retrying flaky jobs.")
    page.get_by_role("button", name="Rewind").click()
    expect(page.locator(".notice")).to_have_text("Rewound to generation.")
    wait_for(page, page.locator('#prompt-title:has-text("Review the draft SKILL.md")'
                                ':not(:has-text("prompt 1,"))'))
    page.locator("section.prompt").get_by_role("button", name="Proceed").click()
    wait_for_status(page, "completed")

    # every version, each viewable with its changes against the one before
    versions = page.locator("#versions-region tr[data-version]")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("Version 1")
    versions.nth(1).get_by_role("link").click()
    expect(page.locator("#main > h1")).to_contain_text("version 2")
    expect(page.locator("#version-facts")).to_contain_text("Add a section on retrying")
    expect(page.locator("#changes-title")).to_contain_text("Changes from version 1")
    page.get_by_role("link", name="Version 1").click()
    expect(page.locator("#version-rendered h1")).to_have_count(1)
    expect(page.locator("#changes-title")).to_contain_text("the first version")
    page.get_by_role("link", name="Back to the job").click()

    page.get_by_role("button", name="Promote").click()
    expect(page.locator(".notice")).to_contain_text("Promoted to ")
    promoted = wait_status(reviewer_http, job_id, ["completed"])
    assert promoted["promoted"] is True and promoted["final_path"]
    expect(page.locator(".notice")).to_contain_text(promoted["final_path"])
    expect(page.locator("#promote-form")).to_have_count(0)

    # the same skill again: refused until overwrite is ticked
    second = create_job(reviewer_http, TASK)
    wait_status(reviewer_http, second, ["completed"])
    page.goto(f"{ui_url}/ui/jobs/{second}")
    page.get_by_role("button", name="Promote").click()
    expect(page.locator("#promote-error")).to_contain_text("Not promoted:")
    assert get_job(reviewer_http, second)["promoted"] is False
    page.get_by_label("Replace the skill already at that place").check()
    page.get_by_role("button", name="Promote").click()
    expect(page.locator(".notice")).to_contain_text(f"Promoted to {promoted['final_path']}")
    assert_stayed_home(browser)
