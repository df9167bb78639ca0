"""Reading the skill library on disk: the taxonomy index, stored skills and drafts.

Shared by the promotion activity (which writes the index) and the API (which only reads).
Every caller-supplied path goes through `skill_store.paths` before the filesystem sees it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from skill_format import SkillFolder, parse_skill, validate_folder_model
from skill_format.models import ValidationReport, ValidationSummary
from skill_store.paths import (
    DRAFTS_DIR,
    READ_SEGMENT,
    UnsafePathError,
    check_relative_path,
    draft_root,
    inside,
    relative_to_root,
    safe_join,
)
from skill_store.versions import list_versions

log = logging.getLogger("skill_fleet.library")

INDEX_FILE = "taxonomy_index.json"
LOCK_FILE = ".taxonomy_index.lock"
# Written into a promoted folder: which job (and which activity attempt) put it there.
JOB_MARKER = ".skill-fleet-job"
SKILL_MD = "SKILL.md"
# Taxonomy paths have at most 4 levels; hand-made folders get a little more room.
MAX_LIST_DEPTH = 6


class SkillNotFoundError(LookupError):
    """The path is well formed and safe, but no skill lives there."""


class SkillEntry(BaseModel):
    taxonomy_path: str
    name: str
    description: str
    # Relative to the skills root (the server's absolute layout is not exposed).
    path: str
    job_id: str | None = None
    owner: str | None = None
    promoted_at: str | None = None


class StoredSkill(BaseModel):
    taxonomy_path: str
    path: str
    name: str | None
    description: str | None
    frontmatter: dict[str, Any] | None
    skill_md: str
    files: list[str]
    validation: ValidationSummary
    job_id: str | None = None
    owner: str | None = None
    promoted_at: str | None = None
    # Kept previous versions, oldest first: `_versions/<taxonomy_path>/<name>/` on disk.
    versions: list[str] = Field(default_factory=list)


class DraftFiles(BaseModel):
    draft_path: str
    skill_md: str
    files: list[str]


# --------------------------------------------------------------------------- the index


@contextmanager
def index_lock(root: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the library's exclusive lock (fcntl), calling `on_wait` (a heartbeat) while
    another promotion holds it. The lock is released when the descriptor closes, so a
    crashed holder never leaves it stuck."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait:
                    on_wait()
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def read_index(root: Path) -> dict[str, dict[str, Any]]:
    """The index as stored; a missing or unreadable one reads as empty (disk is the truth)."""
    return _load_index(root / INDEX_FILE)[0]


def _load_index(path: Path) -> tuple[dict[str, dict[str, Any]], bool]:
    """(entries, corrupt): corrupt means a file exists but is not a JSON object."""
    try:
        if path.is_symlink():
            raise ValueError("it is a symlink")
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return {}, False
    except (OSError, ValueError) as err:
        log.warning("ignoring unreadable %s: %s", path, err)
        return {}, True
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}, False


def update_index(root: Path, taxonomy_path: str, entry: dict[str, Any]) -> None:
    """Set one entry. Call with `index_lock` held: read-modify-write, then an atomic replace
    so readers never see a half-written file. A corrupt index is kept aside, not lost."""
    path = root / INDEX_FILE
    index, corrupt = _load_index(path)
    if corrupt:
        aside = path.with_name(f"{INDEX_FILE}.corrupt-{uuid.uuid4().hex[:8]}")
        path.rename(aside)
        log.warning("kept a corrupt taxonomy index aside as %s", aside)
    index[taxonomy_path] = entry
    tmp = root / f".{INDEX_FILE}.tmp-{uuid.uuid4().hex}"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(index, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_marker(folder: Path) -> dict[str, Any] | None:
    marker = folder / JOB_MARKER
    try:
        if marker.is_symlink():
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


# --------------------------------------------------------------------------- reading


def list_skills(root: Path) -> list[SkillEntry]:
    """Every folder with a SKILL.md under the root (not `_drafts`, hidden or symlinked),
    enriched with its index entry. Index entries whose folder is gone are left out, so
    every listed path can be read with `read_skill`."""
    base = root.resolve()
    if not base.is_dir():
        return []
    index = read_index(base)
    found: list[SkillEntry] = []
    for rel in _skill_folders(base, [], 0):
        taxonomy_path = "/".join(rel)
        folder = base.joinpath(*rel)
        skill = parse_skill(SkillFolder.from_path(folder))
        entry = index.get(taxonomy_path, {})
        found.append(
            SkillEntry(
                taxonomy_path=taxonomy_path,
                name=skill.string_field("name") or str(entry.get("name") or rel[-1]),
                description=skill.string_field("description")
                or str(entry.get("description") or ""),
                path=taxonomy_path,
                job_id=_str_or_none(entry.get("job_id")),
                owner=_str_or_none(entry.get("owner")),
                promoted_at=_str_or_none(entry.get("promoted_at")),
            )
        )
    return sorted(found, key=lambda e: e.taxonomy_path)


def _skill_folders(base: Path, rel: list[str], depth: int) -> Iterator[list[str]]:
    folder = base.joinpath(*rel)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if (
            entry.name == DRAFTS_DIR
            or not READ_SEGMENT.fullmatch(entry.name)
            or entry.is_symlink()
            or not entry.is_dir(follow_symlinks=False)
        ):
            continue
        child = [*rel, entry.name]
        skill_md = Path(entry.path) / SKILL_MD
        if skill_md.is_file() and not skill_md.is_symlink():
            yield child
        elif depth + 1 < MAX_LIST_DEPTH:
            yield from _skill_folders(base, child, depth + 1)


def skill_folder(root: Path, raw_path: str) -> tuple[str, Path]:
    """Resolve a caller's library path to a skill folder, or raise.

    Raises `UnsafePathError` for a path that is malformed, leaves the root or crosses a
    symlink, and `SkillNotFoundError` when no SKILL.md folder is there.
    """
    segments = check_relative_path(raw_path)
    folder = safe_join(root, segments)
    taxonomy_path = "/".join(segments)
    skill_md = folder / SKILL_MD
    if not folder.is_dir() or not skill_md.is_file() or skill_md.is_symlink():
        raise SkillNotFoundError(f"No skill at {taxonomy_path!r}.")
    return taxonomy_path, folder


def read_skill(root: Path, raw_path: str, pass_threshold: float) -> StoredSkill:
    taxonomy_path, folder = skill_folder(root, raw_path)
    disk = SkillFolder.from_path(folder)
    if disk.skill_md is None:  # vanished, or not UTF-8
        raise SkillNotFoundError(f"No readable SKILL.md at {taxonomy_path!r}.")
    skill = parse_skill(disk)
    report = validate_folder_model(disk, pass_threshold=pass_threshold)
    entry = read_index(root.resolve()).get(taxonomy_path, {})
    return StoredSkill(
        taxonomy_path=taxonomy_path,
        path=taxonomy_path,
        name=skill.string_field("name"),
        description=skill.string_field("description"),
        frontmatter=skill.frontmatter,
        skill_md=disk.skill_md,
        files=_file_list(disk),
        validation=ValidationSummary(
            passed=report.passed, score=report.score, errors=report.errors, warnings=report.warnings
        ),
        job_id=_str_or_none(entry.get("job_id")),
        owner=_str_or_none(entry.get("owner")),
        promoted_at=_str_or_none(entry.get("promoted_at")),
        versions=list_versions(root, taxonomy_path.split("/")),
    )


def validate_skill_path(root: Path, raw_path: str, pass_threshold: float) -> ValidationReport:
    _, folder = skill_folder(root, raw_path)
    return validate_folder_model(SkillFolder.from_path(folder), pass_threshold=pass_threshold)


def read_draft(root: Path, job_id: str, draft_path: str) -> DraftFiles:
    """A job's draft, only if the path the job reports lies in that job's draft folder.

    Jobs report it relative to the skills root; jobs started before that report it
    absolute, which is still accepted (and still has to lie in the job's folder)."""
    try:
        given = Path(draft_path)
        folder = inside(draft_root(root, job_id), given if given.is_absolute() else root / given)
    except UnsafePathError as err:
        raise SkillNotFoundError("The job's draft is not under this server's skills root.") from err
    disk = SkillFolder.from_path(folder)
    if disk.skill_md is None:
        raise SkillNotFoundError("The job's draft is no longer on disk.")
    return DraftFiles(
        draft_path=relative_to_root(root, folder), skill_md=disk.skill_md, files=_file_list(disk)
    )


def _file_list(disk: SkillFolder) -> list[str]:
    name = disk.skill_md_filename or SKILL_MD
    return sorted({name, *(p for p in disk.files if p != JOB_MARKER)})


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
