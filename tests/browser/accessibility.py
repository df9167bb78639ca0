"""axe-core (bundled by axe-playwright-python, nothing downloaded) on a page state.

`assert_accessible` runs the WCAG 2.0 and 2.1 level A and AA rules (and heading order) on
what the page shows now and fails with each violation in words: the rule, its impact and
the elements it concerns, so a failure says what to fix without opening a report.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Headings in order too (an axe best practice, not a WCAG rule): the rendered SKILL.md
# sits under the page's own headings.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS},
               "rules": {"heading-order": {"enabled": True}}, "resultTypes": ["violations"]}
_AXE = Axe()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG 2.1 AA rules on the page as it is now."""
    return list(_AXE.run(page, options=AXE_OPTIONS).response["violations"])


def describe(found: list[dict[str, Any]]) -> str:
    """One line per violation, then one per element it concerns."""
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v.get('impact') or 'no impact given'}): {v['help']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, state_name: str) -> None:
    """Fail unless axe-core finds no WCAG 2.1 A/AA violation in this page state."""
    found = violations(page)
    assert not found, (f"{state_name} ({page.url}): {len(found)} WCAG 2.1 AA violation(s)\n"
                       + describe(found))
