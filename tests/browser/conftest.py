"""Debian's Chromium driven by Playwright, one browser per module, against the real stack.

Each reviewer gets a browser context of their own (`browser`, `other_browser`): separate
cookies, as two people on two machines.

Playwright cannot download a browser here, so it launches /usr/bin/chromium (`make test`
installs it through `make browser`). A missing browser fails the tests with the install
hint: they are part of the default suite and must not pass by being skipped. Every
request the browser makes goes through a route that lets only loopback hosts through;
anything else is aborted and recorded in `Browser.foreign`, which the tests assert empty.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser as PlaywrightBrowser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    Route,
    expect,
    sync_playwright,
)

from api.auth import hash_key
from api.local_guard import is_loopback
from tests.support import LocalStack, get_job

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = (f"The browser tests need Chromium at {CHROMIUM}: run `make browser` as root, "
                "or `sudo apt-get install -y --no-install-recommends chromium`.")
REVIEWER_KEY = "reviewer-key-for-the-browser-tests-0123456789"
REVIEWER = "rita"
ADMIN_KEY = "admin-key-for-the-browser-tests-0123456789"
ADMIN = "ada"
SERVER_STATUS = "Failed to load resource: the server responded with a status of"


@dataclass
class Browser:
    context: BrowserContext
    foreign: list[str] = field(default_factory=list)  # requests to non-loopback hosts
    console_errors: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="session")
def ui_url(stack: LocalStack) -> str:
    """An API instance with keys for a reviewer and an admin, on the session's Temporal and
    worker; one per test process, shared by the browser modules."""
    keys = [{"key_sha256": hash_key(REVIEWER_KEY), "user_id": REVIEWER, "role": "user"},
            {"key_sha256": hash_key(ADMIN_KEY), "user_id": ADMIN, "role": "admin"}]
    return stack.start_api(SKILL_FLEET_API_KEYS=json.dumps(keys))


@pytest.fixture
def reviewer_http(ui_url: str) -> Iterator[httpx.Client]:
    """The API as the reviewer's own scripts would call it."""
    with httpx.Client(base_url=ui_url, timeout=30,
                      headers={"Authorization": f"Bearer {REVIEWER_KEY}"}) as client:
        yield client


@pytest.fixture(scope="module")
def chromium() -> Iterator[PlaywrightBrowser]:
    """One Chromium per module; each reviewer gets a context of their own (cookies apart)."""
    if not CHROMIUM.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_browser(chromium: PlaywrightBrowser) -> Browser:
    """A fresh context (no cookies) whose requests may only go to loopback hosts."""
    found = Browser(chromium.new_context())

    def loopback_only(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if is_loopback(host):
            route.continue_()
        else:
            found.foreign.append(route.request.url)
            route.abort()

    found.context.route("**/*", loopback_only)
    return found


def browser_of_its_own(chromium: PlaywrightBrowser) -> Iterator[Browser]:
    """A `new_browser`, closed after its fixture's scope: one body for every such fixture."""
    with contextlib.closing(new_browser(chromium)) as found:
        yield found


# The module's reviewer, and a second reviewer (or admin) for one test.
browser = pytest.fixture(browser_of_its_own, scope="module", name="browser")
other_browser = pytest.fixture(browser_of_its_own, name="other_browser")


def open_page(browser: Browser) -> Page:
    """A tab whose console errors and failed subresources are recorded in `browser`."""
    page = browser.context.new_page()
    page.set_default_timeout(20_000)

    def on_console(message: ConsoleMessage) -> None:
        # A CSP violation shows up here; so does a page answered with 4xx on purpose (a
        # refused form), which is no error of the page: subresources are checked below.
        if message.type == "error" and not message.text.startswith(SERVER_STATUS):
            browser.console_errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            browser.console_errors.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    return page


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with contextlib.closing(open_page(browser)) as page:
        yield page


def assert_stayed_home(browser: Browser) -> None:
    """No request left loopback, and nothing was blocked or failed to load."""
    assert browser.foreign == [], f"requests left loopback: {browser.foreign}"
    assert browser.console_errors == [], browser.console_errors


def sign_in(page: Page, ui_url: str, key: str = REVIEWER_KEY) -> None:
    """Sign in with `key` unless this context's session cookie already does."""
    page.goto(f"{ui_url}/ui/")
    if page.url.endswith("/ui/sign-in"):
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{ui_url}/ui/")


def cancel_unfinished(http: httpx.Client, job_ids: list[str]) -> None:
    for job_id in job_ids:
        if get_job(http, job_id)["status"] not in ("completed", "failed", "cancelled"):
            http.post(f"/api/v2/jobs/{job_id}/cancel")


@pytest.fixture
def jobs(reviewer_http: httpx.Client) -> Iterator[list[str]]:
    """Jobs a test creates; any still running at the end is cancelled."""
    made: list[str] = []
    yield made
    cancel_unfinished(reviewer_http, made)
