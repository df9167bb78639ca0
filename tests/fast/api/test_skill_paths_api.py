"""Library paths from callers (`GET /skills/{path}`, `POST /skills/validate`): a path that
could mean another place is a 400 with reason UnsafePath, before any file is opened.

The path rules themselves are unit-tested in tests/fast/test_skill_paths.py; here, that both
routes apply them to what the server decoded, and answer in the one error shape.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fast.api.checks import error_body
from tests.fast.api.harness import Api
from tests.fast.api.samples import API

CORPUS = Path(__file__).parents[2] / "data" / "skill_corpus" / "valid"
UNSAFE = [
    "%2e%2e/%2e%2e/etc", "..%2fetc", "\uff0e\uff0e/etc", "..\u2215etc", "_drafts",
    "_drafts/3f2c1f7e-1111-4222-8333-444455556666", ".tmp-x", "a/./b", "a//b", "C:/Windows",
    "~/x", "/", " ", "a\x00b", "a\\b", "../../etc/passwd", "x" * 513,
]
UNSAFE_TARGETS = [
    b"/api/v2/skills/%00", b"/api/v2/skills/a%00/b", b"/api/v2/skills/..%2F..%2Fetc",
    b"/api/v2/skills/../../etc/passwd", b"/api/v2/skills/%252e%252e", b"/api/v2/skills/_drafts",
    b"/api/v2/skills/%2Fetc%2Fpasswd", b"/api/v2/skills/dev/%5C..",
]


@pytest.mark.parametrize("path", UNSAFE, ids=lambda p: repr(p[:24]))
async def test_validate_refuses_unsafe_paths(api: Api, path: str) -> None:
    r = await api.http.post(f"{API}/skills/validate", json={"skill_path": path})
    assert error_body(r, 400)["details"] == {"reason": "UnsafePath"}


@pytest.mark.parametrize("target", UNSAFE_TARGETS, ids=repr)
async def test_reading_refuses_unsafe_paths(api: Api, target: bytes) -> None:
    r = await api.raw("GET", target)
    assert error_body(r, 400)["details"] == {"reason": "UnsafePath"}
    assert b"root:" not in r.body


async def test_a_missing_skill_is_404(api: Api) -> None:
    error_body(await api.http.get(f"{API}/skills/dev/missing"), 404)
    r = await api.http.post(f"{API}/skills/validate", json={"skill_path": "dev/missing"})
    assert error_body(r, 404)["error"] == "No skill at 'dev/missing'."


async def test_a_stored_skill_is_read_and_validated(api: Api, skills_root: Path) -> None:
    """The control: a real skill under the root passes the same checks."""
    shutil.copytree(CORPUS / "git-commit-messages", skills_root / "dev" / "git-commit-messages")
    r = await api.http.get(f"{API}/skills/dev/git-commit-messages")
    assert r.status_code == 200 and r.json()["taxonomy_path"] == "dev/git-commit-messages"
    r = await api.http.post(f"{API}/skills/validate",
                            json={"skill_path": "dev/git-commit-messages"})
    assert r.status_code == 200 and r.json()["passed"] is True, r.text
    listed = (await api.http.get(f"{API}/skills")).json()["skills"]
    assert [s["path"] for s in listed] == ["dev/git-commit-messages"]
