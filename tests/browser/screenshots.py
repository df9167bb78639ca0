"""Re-make the README's screenshots of the reviewer page against a real local stack.

    python -m tests.browser.screenshots [--out docs/images]

Starts its own Temporal dev server, worker and API (open local mode, free ports, a temporary
folder) as the tests do, raises three prompts (clarify, confirm, preview), and has Debian's
Chromium take `inbox.png` (the inbox) and `preview.png` (a preview prompt) at 1200 x 800.
Everything is stopped afterwards, also on failure.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, INSTALL_HINT
from tests.support import LocalStack, create_job, wait_prompt

VIEWPORT = {"width": 1200, "height": 800}
JOBS = [  # (task, options, the checkpoint it waits at)
    ("Help me with stuff please", {}, "clarify"),
    ("Summarise failing CI runs from their logs for the on-call engineer",
     {"enable_hitl_confirm": True}, "confirm"),
    ("Review Python pull requests for security issues and missing tests",
     {"enable_hitl_preview": True, "hitl_timeout_seconds": 1800}, "preview"),
]


def shoot(page: Page, url: str, preview_job: str, out: Path) -> None:
    page.goto(f"{url}/ui/")
    expect(page.locator("tr[data-job]")).to_have_count(len(JOBS), timeout=30_000)
    expect(page.locator("body")).to_have_attribute("data-live-state", "up")
    page.screenshot(path=str(out / "inbox.png"))

    page.goto(f"{url}/ui/jobs/{preview_job}")
    prompt = page.locator("section.prompt")
    expect(prompt.locator("#skill-rendered h1")).to_be_visible()
    page.evaluate("document.getElementById('prompt-title').scrollIntoView()")
    page.screenshot(path=str(out / "preview.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(INSTALL_HINT)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="skill-fleet-shots-") as root:
        stack = LocalStack(Path(root))
        try:
            stack.start_server()
            [url] = stack.start_workers_and_apis()
            with httpx.Client(base_url=url, timeout=30) as http:
                made = [create_job(http, task, user_id="rita", **options)
                        for task, options, _ in JOBS]
                for job_id, (_, _, checkpoint) in zip(made, JOBS, strict=True):
                    wait_prompt(http, job_id, checkpoint)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                     headless=True, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
                    shoot(page, url, made[-1], args.out)
                finally:
                    browser.close()
        finally:
            stack.stop()
    for name in ("inbox.png", "preview.png"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
