"""Failed sign-ins per client address per minute (api/ui/signin_limit.py), through the app.

The limiter's clock is the only thing replaced: a test moves it past the minute instead
of waiting for one.
"""

from __future__ import annotations

import httpx
import pytest

from api.ui.signin_limit import SignInLimiter
from common.settings import Settings
from tests.fast.api.harness import ALICE, BOB, Api
from tests.fast.ui.pages import sign_in


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(ui: Api) -> Clock:
    """The app's limiter, as mount_ui makes it from the settings, on a clock of our own."""
    assert Settings.model_fields["ui_signin_attempts_per_minute"].default == 10
    clock = Clock()
    ui.app.state.ui_signin_limiter = SignInLimiter(
        ui.settings.ui_signin_attempts_per_minute, clock=clock)
    return clock


async def test_the_eleventh_bad_attempt_is_refused_until_the_minute_passes(
        ui: Api, clock: Clock, browser: httpx.AsyncClient) -> None:
    assert ui.settings.ui_signin_attempts_per_minute == 10
    for attempt in range(10):
        clock.now += 1
        r = await sign_in(browser, f"wrong-key-{attempt}")
        assert r.status_code == 401 and "That API key is not valid." in r.text
    r = await sign_in(browser, "wrong-key-10")
    assert r.status_code == 429
    assert "Too many failed sign-ins from your address; try again in 51 s." in r.text
    assert r.headers["retry-after"] == "51"
    assert 'role="alert"' in r.text and 'id="api_key"' in r.text  # the form, saying why
    refused = await sign_in(browser, ALICE)  # a good key too: no guessing past the cap
    assert refused.status_code == 429
    assert (await browser.get("/ui/")).headers["location"] == "/ui/sign-in"

    clock.now += 51  # the first failure is a minute old: one more attempt is allowed
    r = await sign_in(browser, ALICE)
    assert (r.status_code, r.headers["location"]) == (303, "/ui/")
    assert (await browser.get("/ui/")).status_code == 200


async def test_a_good_sign_in_forgets_the_failures(
        ui: Api, clock: Clock, browser: httpx.AsyncClient) -> None:
    for attempt in range(9):
        assert (await sign_in(browser, f"wrong-{attempt}")).status_code == 401
    assert (await sign_in(browser, BOB)).status_code == 303
    browser.cookies.clear()  # signed out again, same address
    for attempt in range(10):  # a fresh count: ten more failures before the refusal
        assert (await sign_in(browser, f"again-{attempt}")).status_code == 401
    assert (await sign_in(browser, BOB)).status_code == 429


def test_the_window_slides_and_zero_turns_it_off() -> None:
    clock = Clock()
    limiter = SignInLimiter(2, clock=clock)
    limiter.failed("10.0.0.1")
    clock.now += 30
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 30.0
    assert limiter.retry_after("10.0.0.2") is None  # per address
    clock.now += 30  # the first failure left the window
    assert limiter.retry_after("10.0.0.1") is None
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 30.0
    off = SignInLimiter(0, clock=clock)
    for _ in range(100):
        off.failed("10.0.0.1")
    assert off.retry_after("10.0.0.1") is None
