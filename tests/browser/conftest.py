"""Debian's Chromium driven by Playwright, one browser per module, against the real stack.

Playwright cannot download a browser here, so it launches /usr/bin/chromium (`make test`
installs it through `make browser`). A missing browser fails the tests with the install
hint: they are part of the default suite and must not pass by being skipped. Every
request the browser makes goes through a route that lets only loopback hosts through;
anything else is aborted and recorded in `Browser.foreign`, which the tests assert empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    Route,
    sync_playwright,
)

from api.auth import hash_key
from api.local_guard import is_loopback
from tests.support import LocalStack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = (f"The browser tests need Chromium at {CHROMIUM}: run `make browser` as root, "
                "or `sudo apt-get install -y --no-install-recommends chromium`.")
REVIEWER_KEY = "reviewer-key-for-the-browser-tests-0123456789"
REVIEWER = "rita"
SERVER_STATUS = "Failed to load resource: the server responded with a status of"


@dataclass
class Browser:
    context: BrowserContext
    foreign: list[str] = field(default_factory=list)  # requests to non-loopback hosts
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def ui_url(stack: LocalStack) -> str:
    """An API instance with a key for the reviewer, on the session's Temporal and worker."""
    keys = [{"key_sha256": hash_key(REVIEWER_KEY), "user_id": REVIEWER, "role": "user"}]
    return stack.start_api(SKILL_FLEET_API_KEYS=json.dumps(keys))


@pytest.fixture
def reviewer_http(ui_url: str) -> Iterator[httpx.Client]:
    """The API as the reviewer's own scripts would call it."""
    with httpx.Client(base_url=ui_url, timeout=30,
                      headers={"Authorization": f"Bearer {REVIEWER_KEY}"}) as client:
        yield client


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    profile = tmp_path_factory.mktemp("chromium-profile")  # fresh user data dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        found = Browser(context)

        def loopback_only(route: Route) -> None:
            host = urlsplit(route.request.url).hostname or ""
            if is_loopback(host):
                route.continue_()
            else:
                found.foreign.append(route.request.url)
                route.abort()

        context.route("**/*", loopback_only)
        try:
            yield found
        finally:
            context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
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
    try:
        yield page
    finally:
        page.close()


def assert_stayed_home(browser: Browser) -> None:
    """No request left loopback, and nothing was blocked or failed to load."""
    assert browser.foreign == [], f"requests left loopback: {browser.foreign}"
    assert browser.console_errors == [], browser.console_errors
