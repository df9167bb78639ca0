"""Where skills live on disk, and the guard that keeps every path inside the skills root."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from common.job_terms import JOB_ID
from skill_format.skill_name import KEBAB_CASE

# Patterns end in `\Z` and are used with `fullmatch`: Python's `$` also matches before a
# final newline, and "victim\n" would make a folder that lists as `victim`.
SEGMENT = re.compile(rf"{KEBAB_CASE}\Z")
# Segments a caller may name when reading the library: plain ASCII, no leading '.' or '_'
# (so no '..', hidden or scratch folders, and no `_drafts`, which is read per job).
READ_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
MAX_PATH_CHARS = 512
JOB_ID_RE = re.compile(rf"{JOB_ID}\Z")
DRAFTS_DIR = "_drafts"
# Previous versions of replaced skills: `_versions/<taxonomy path>/<UTC stamp>/`. Like
# `_drafts`, the leading '_' keeps it out of the library's listing and reads.
VERSIONS_DIR = "_versions"
# Folders being built before an atomic rename (`scratch_dir`); a dead attempt's are removed.
SCRATCH_PREFIX = ".tmp-"


class UnsafePathError(ValueError):
    """A user- or model-supplied path that would leave the skills root or is malformed."""


def check_taxonomy_path(taxonomy_path: str) -> list[str]:
    segments = taxonomy_path.split("/")
    if not 1 <= len(segments) <= 4 or any(
        len(s) > 64 or not SEGMENT.fullmatch(s) for s in segments
    ):
        raise UnsafePathError(
            f"Invalid taxonomy path {taxonomy_path!r}: use 1-4 kebab-case segments "
            "of at most 64 characters separated by '/'."
        )
    return segments


def check_job_id(job_id: str) -> str:
    if not JOB_ID_RE.fullmatch(job_id):
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


def scratch_dir(parent: Path) -> Path:
    """A fresh sibling folder to build into before an atomic rename."""
    return parent / f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"


def check_relative_path(raw: str) -> list[str]:
    """Split a caller-supplied library path, refusing anything that could mean another place.

    Checked on the text before any filesystem call: the API decodes `%xx` once, so a `%`
    left over is double encoding; backslashes, NUL and non-ASCII look-alikes are refused
    rather than interpreted.
    """
    if not raw or not raw.strip("/"):
        raise UnsafePathError("The skill path is empty.")
    if len(raw) > MAX_PATH_CHARS:
        raise UnsafePathError(f"The skill path is longer than {MAX_PATH_CHARS} characters.")
    if "\x00" in raw:
        raise UnsafePathError("The skill path contains a NUL byte.")
    if "\\" in raw:
        raise UnsafePathError("The skill path contains a backslash; separate folders with '/'.")
    if "%" in raw:
        raise UnsafePathError("The skill path contains '%': percent-encoded paths are refused.")
    if raw.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", raw):
        raise UnsafePathError(
            f"The skill path {raw[:80]!r} is absolute; give it relative to the skills root."
        )
    segments = raw.rstrip("/").split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise UnsafePathError(
                f"The skill path {raw[:80]!r} has an empty, '.' or '..' segment; it must "
                "stay inside the skills root."
            )
        if not READ_SEGMENT.fullmatch(segment):
            raise UnsafePathError(
                f"The skill path segment {segment[:80]!r} is not allowed: use ASCII letters, "
                "digits, '.', '_' and '-' (at most 128 characters, not starting with '.' "
                "or '_')."
            )
    return segments


def safe_join(root: Path, segments: Iterable[str]) -> Path:
    """Join checked segments under `root`, refusing any symlink on the way (even one that
    points inside): a library path must name the folder it appears to name."""
    base = root.resolve()
    current = base
    try:
        for segment in segments:
            if segment in ("", ".", "..") or "/" in segment or "\x00" in segment:
                raise UnsafePathError(f"Invalid path segment {segment[:80]!r}.")
            current = current / segment
            if current.is_symlink():
                rel = current.relative_to(base)
                raise UnsafePathError(f"Path {rel} is a symlink; symlinks are refused.")
        return inside(base, current)
    except OSError as err:  # e.g. a name too long for the filesystem
        raise UnsafePathError(f"Path cannot be used: {err.strerror}.") from err


def swap_in(scratch: Path, target: Path, keep_old_at: Path | None = None) -> None:
    """Replace `target` with the finished `scratch` folder by renames, never half-written.

    With `keep_old_at`, the replaced folder is renamed there (a kept version) instead of
    being removed; a crash between the two renames leaves that version, never a loss.
    """
    if target.exists():
        old = keep_old_at or scratch_dir(target.parent)
        target.rename(old)
        scratch.rename(target)
        if keep_old_at is None:
            shutil.rmtree(old)
    else:
        scratch.rename(target)


def relative_to_root(root: Path, path: Path) -> str:
    """A path as the API shows it: relative to the skills root, never the server's layout."""
    resolved = path.resolve()
    base = root.resolve()
    return resolved.relative_to(base).as_posix() if resolved != base else "."
