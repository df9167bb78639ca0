"""Where skills live on disk, and the guard that keeps every path inside the skills root."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

SEGMENT = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DRAFTS_DIR = "_drafts"


class UnsafePathError(ValueError):
    """A user- or model-supplied path that would leave the skills root or is malformed."""


def check_taxonomy_path(taxonomy_path: str) -> list[str]:
    segments = taxonomy_path.split("/")
    if not 1 <= len(segments) <= 4 or any(
        len(s) > 64 or not SEGMENT.match(s) for s in segments
    ):
        raise UnsafePathError(
            f"Invalid taxonomy path {taxonomy_path!r}: use 1-4 kebab-case segments "
            "of at most 64 characters separated by '/'."
        )
    return segments


def check_job_id(job_id: str) -> str:
    if not JOB_ID.match(job_id):
        raise UnsafePathError(f"Invalid job id {job_id!r}.")
    return job_id


def inside(root: Path, candidate: Path) -> Path:
    """Resolve `candidate` (symlinks included) and refuse it unless it stays under `root`."""
    root = root.resolve()
    resolved = candidate.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafePathError(f"Path {candidate} leaves the skills root.")
    return resolved


def draft_root(skills_root: Path, job_id: str) -> Path:
    return inside(skills_root, skills_root / DRAFTS_DIR / check_job_id(job_id))


def draft_dir(skills_root: Path, job_id: str, taxonomy_path: str) -> Path:
    return inside(skills_root, draft_root(skills_root, job_id).joinpath(
        *check_taxonomy_path(taxonomy_path)))


def scratch_dir(parent: Path) -> Path:
    """A fresh sibling folder to build into before an atomic rename."""
    return parent / f".tmp-{uuid.uuid4().hex}"
