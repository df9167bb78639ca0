"""The skill library endpoints: list, read and validate, and every way out of the root refused."""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.skeleton import SKELETON_PASS_THRESHOLD
from tests.support import API, LocalStack
from tests.test_promotion import completed_job, new_tag, promote

SECRET = "TOPSECRET-do-not-serve"
SECRET_SKILL = f"""---
name: "secret-skill"
description: "{SECRET}. Use when testing traversal."
---

# Secret

## When to Use

{SECRET}
"""


@pytest.fixture(scope="module")
def promoted(http_module: httpx.Client, stack: LocalStack) -> dict[str, Any]:
    job = completed_job(http_module, new_tag(), user="library")
    r = promote(http_module, job["job_id"])
    assert r.status_code == 200, r.text
    return {**job, "final_path": r.json()["final_path"]}


@pytest.fixture(scope="module")
def http_module(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def escapes(stack: LocalStack) -> Iterator[dict[str, str]]:
    """A secret skill outside the root, and symlinks to it planted inside the root."""
    outside = stack.root / "outside-secret"
    outside.mkdir(exist_ok=True)
    (outside / "SKILL.md").write_text(SECRET_SKILL)
    (stack.root / "secret.txt").write_text(SECRET)
    root = stack.skills_root
    planted = {
        "dir_link": root / "zz-leak-dir",
        "skill_link": root / "zz-leak-cat" / "leak-skill",
        "file_link": root / "zz-leak-file" / "leak-skill",
    }
    planted["dir_link"].symlink_to(outside, target_is_directory=True)
    planted["skill_link"].parent.mkdir()
    planted["skill_link"].symlink_to(outside, target_is_directory=True)
    planted["file_link"].mkdir(parents=True)
    (planted["file_link"] / "SKILL.md").symlink_to(stack.root / "secret.txt")
    try:
        yield {k: v.relative_to(root).as_posix() for k, v in planted.items()}
    finally:
        planted["dir_link"].unlink()
        shutil.rmtree(root / "zz-leak-cat")
        shutil.rmtree(root / "zz-leak-file")


def raw_get(base_url: str, raw_path: str) -> tuple[int, str]:
    """Send the path byte for byte: httpx would normalise '..' away before sending."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", raw_path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def assert_refused(status: int, body: str, allowed: set[int]) -> None:
    assert status in allowed, (status, body)
    assert SECRET not in body and "root:" not in body
    assert json.loads(body)["error"]


def test_list_read_and_validate_a_promoted_skill(
    http_module: httpx.Client, stack: LocalStack, promoted: dict[str, Any]
) -> None:
    taxonomy_path = promoted["intended_taxonomy_path"]
    r = http_module.get(f"{API}/skills")
    assert r.status_code == 200, r.text
    listed = {s["taxonomy_path"]: s for s in r.json()["skills"]}
    entry = listed[taxonomy_path]
    assert entry["name"] == promoted["skill_name"]
    # paths are relative to the skills root: the server's layout is never shown
    assert entry["path"] == promoted["final_path"] == taxonomy_path
    assert entry["job_id"] == promoted["job_id"] and entry["description"]
    assert entry["owner"] == "library"
    assert not any(p.startswith(("_drafts", ".")) for p in listed)

    r = http_module.get(f"{API}/skills/{taxonomy_path}")
    assert r.status_code == 200, r.text
    skill = r.json()
    skill_md = (stack.skills_root / promoted["final_path"] / "SKILL.md").read_text()
    assert skill["skill_md"] == skill_md
    assert skill["path"] == taxonomy_path and skill["owner"] == "library"
    assert str(stack.skills_root.resolve()) not in r.text
    assert skill["name"] == promoted["skill_name"]
    assert skill["frontmatter"]["name"] == promoted["skill_name"]
    assert "SKILL.md" in skill["files"] and ".skill-fleet-job" not in skill["files"]
    assert skill["validation"]["passed"] is True
    assert skill["job_id"] == promoted["job_id"]

    r = http_module.post(f"{API}/skills/validate", json={"skill_path": taxonomy_path})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["passed"] is True and report["errors"] == []
    # Passed under the stack's pass mark for the offline skeleton (tests.skeleton).
    assert SKELETON_PASS_THRESHOLD <= report["score"] <= 1 and report["score_parts"]
    assert report["checks"] and set(report["checks"][0]) == {
        "check",
        "passed",
        "severity",
        "message",
    }


def test_missing_skills_are_404(http_module: httpx.Client, stack: LocalStack) -> None:
    for path in ("nope/missing-skill", "taxonomy_index.json", "create"):
        r = http_module.get(f"{API}/skills/{path}")
        assert r.status_code == 404, (path, r.text)
    r = http_module.post(f"{API}/skills/validate", json={"skill_path": "nope/missing-skill"})
    assert r.status_code == 404, r.text


TRAVERSALS = [
    "../../etc/passwd",
    "../outside-secret",
    "x/../../outside-secret",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2foutside-secret",
    "..%2Foutside-secret",
    "%252e%252e/outside-secret",
    "..%5Coutside-secret",
    "%00",
    "a%00b",
    "%EF%BC%8E%EF%BC%8E/outside-secret",  # fullwidth dots
    "%E2%88%95etc%E2%88%95passwd",  # division slashes
    "_drafts",
    "a" * 300,
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_get_skill_traversal_is_refused(
    api_url: str, stack: LocalStack, escapes: dict[str, str], path: str
) -> None:
    status, body = raw_get(api_url, f"{API}/skills/{path}")
    assert_refused(status, body, {400})


def test_get_skill_absolute_and_symlinked_paths_are_refused(
    api_url: str, stack: LocalStack, escapes: dict[str, str]
) -> None:
    for raw in ("//etc/passwd", f"/{stack.root}/outside-secret", f"/{stack.skills_root}"):
        status, body = raw_get(api_url, f"{API}/skills{raw}")
        assert_refused(status, body, {400})
        assert "absolute" in json.loads(body)["error"]
    for name in ("dir_link", "skill_link"):
        status, body = raw_get(api_url, f"{API}/skills/{escapes[name]}")
        assert_refused(status, body, {400})
        assert "symlink" in json.loads(body)["error"]
    status, body = raw_get(api_url, f"{API}/skills/{escapes['file_link']}")
    assert_refused(status, body, {404})


@pytest.mark.parametrize(
    "skill_path",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..\\..\\etc\\passwd",
        "../outside-secret",
        "ok/\u0000/x",
        "\uff0e\uff0e/outside-secret",
        "~/outside-secret",
        "_drafts",
        "a" * 300,
    ],
)
def test_validate_traversal_is_400(
    http_module: httpx.Client, escapes: dict[str, str], skill_path: str
) -> None:
    r = http_module.post(f"{API}/skills/validate", json={"skill_path": skill_path})
    assert_refused(r.status_code, r.text, {400})


def test_validate_refusals_say_why(
    http_module: httpx.Client, stack: LocalStack, escapes: dict[str, str], promoted: dict[str, Any]
) -> None:
    absolute = str(stack.skills_root.resolve() / promoted["final_path"])
    r = http_module.post(f"{API}/skills/validate", json={"skill_path": absolute})
    assert r.status_code == 400 and "relative to the skills root" in r.json()["error"]
    r = http_module.post(f"{API}/skills/validate", json={"skill_path": "../x"})
    assert r.status_code == 400 and "inside the skills root" in r.json()["error"]
    for name in ("dir_link", "skill_link"):
        r = http_module.post(f"{API}/skills/validate", json={"skill_path": escapes[name]})
        assert_refused(r.status_code, r.text, {400})
    r = http_module.post(f"{API}/skills/validate", json={"skill_path": escapes["file_link"]})
    assert_refused(r.status_code, r.text, {404})
    assert http_module.post(f"{API}/skills/validate", json={"skill_path": ""}).status_code == 422
    assert http_module.post(f"{API}/skills/validate", json={}).status_code == 422


def test_listing_ignores_planted_symlinks(
    http_module: httpx.Client, escapes: dict[str, str]
) -> None:
    r = http_module.get(f"{API}/skills")
    assert r.status_code == 200
    assert SECRET not in r.text
    assert not any(s["taxonomy_path"].startswith("zz-leak") for s in r.json()["skills"])
