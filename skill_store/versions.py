"""Previous versions of replaced skills, kept outside the live library.

A promotion that replaces a skill renames the old folder to
`<skills_root>/_versions/<taxonomy path>/<UTC stamp>-<job id prefix>/` (its provenance
marker inside says which job and owner wrote it). The newest `KEEP_VERSIONS` are kept per
skill. `_versions` starts with '_', so the library never lists or serves it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from skill_store.paths import VERSIONS_DIR, safe_join

KEEP_VERSIONS = 10


def version_slot(root: Path, segments: list[str], replaced_job_id: str | None) -> Path:
    """A fresh folder name for the version about to be replaced (its parents created)."""
    history = safe_join(root, [VERSIONS_DIR, *segments])
    history.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = (replaced_job_id or "unknown")[:8]
    slot = history / f"{stamp}-{suffix}"
    n = 1
    while slot.exists():  # two replacements within a microsecond
        slot = history / f"{stamp}-{suffix}-{n}"
        n += 1
    return slot


def prune_versions(root: Path, segments: list[str], keep: int = KEEP_VERSIONS) -> None:
    """Drop the oldest kept versions beyond `keep` (names sort by their UTC stamp)."""
    history = safe_join(root, [VERSIONS_DIR, *segments])
    if not history.is_dir():
        return
    kept = sorted(p for p in history.iterdir() if p.is_dir() and not p.is_symlink())
    for old in kept[: max(len(kept) - keep, 0)]:
        shutil.rmtree(old, ignore_errors=True)


def list_versions(root: Path, segments: list[str]) -> list[str]:
    """Kept versions of one skill, oldest first (names relative to its history folder)."""
    history = safe_join(root, [VERSIONS_DIR, *segments])
    if not history.is_dir():
        return []
    return sorted(p.name for p in history.iterdir() if p.is_dir() and not p.is_symlink())
