"""A skill folder as the rules see it, built from memory or from disk.

Both sources are reduced to the same `SkillFolder` so the workflow (in memory), the API and
the CLI (on disk) are judged by exactly the same rules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Literal

from .frontmatter import FrontmatterError, load_frontmatter_yaml, split_skill_md
from .models import SkillContent

SKILL_MD = "SKILL.md"


@dataclass(frozen=True)
class SkillFolder:
    """One skill folder: SKILL.md text plus the other files and folders in it.

    ``files`` maps folder-relative POSIX paths to text (``None`` when not read, e.g. binary
    files on disk). ``escapes`` holds sentences about paths or symlinks that lead outside
    the folder; those entries are left out of ``files``.
    """

    folder_name: str
    skill_md: str | None
    skill_md_filename: str | None = SKILL_MD
    files: Mapping[str, str | None] = field(default_factory=dict)
    dirs: frozenset[str] = frozenset()
    escapes: tuple[str, ...] = ()
    missing_reason: str | None = None

    @classmethod
    def from_content(cls, folder_name: str, content: SkillContent) -> SkillFolder:
        """Build from in-memory content; ``content.skill_md`` is the SKILL.md text."""
        files: dict[str, str | None] = {}
        escapes: list[str] = []
        for raw_path, text in content.files.items():
            path = _relative_path(raw_path)
            if path is None:
                escapes.append(f"file path '{raw_path}' points outside the skill folder")
            else:
                files[path] = text
        return cls(
            folder_name=folder_name,
            skill_md=content.skill_md,
            files=MappingProxyType(files),
            dirs=_parent_dirs(files),
            escapes=tuple(escapes),
        )

    @classmethod
    def from_path(cls, path: Path) -> SkillFolder:
        """Read a folder on disk without following symlinks out of it.

        A symlink whose target resolves outside the folder (or cannot be resolved) is
        recorded in ``escapes`` and never read. Only SKILL.md's text is read; other files
        are recorded by path.
        """
        path = Path(path)
        folder_name = path.resolve().name if path.name in ("", ".", "..") else path.name
        if not path.is_dir():
            reason = "does not exist" if not path.exists() else "is not a directory"
            return cls(folder_name, None, None, missing_reason=f"'{path}' {reason}")
        root = path.resolve()
        files: dict[str, str | None] = {}
        real: dict[str, Path] = {}
        dirs: set[str] = set()
        escapes: list[str] = []
        _walk(root, root, PurePosixPath(), frozenset({root}), files, real, dirs, escapes)

        exact = SKILL_MD if SKILL_MD in files else None
        variants = sorted(p for p in files if "/" not in p and p.lower() == SKILL_MD.lower())
        chosen = exact or (variants[0] if variants else None)
        text: str | None = None
        unread: str | None = f"no SKILL.md in '{path}'"
        if chosen is not None:
            del files[chosen]
            try:
                text, unread = real[chosen].read_text(encoding="utf-8"), None
            except (OSError, UnicodeDecodeError) as exc:
                unread = f"{chosen} could not be read as UTF-8 text ({exc})"
        return cls(
            folder_name,
            text,
            chosen,
            files=MappingProxyType(files),
            dirs=frozenset(dirs),
            escapes=tuple(escapes),
            missing_reason=unread,
        )


@dataclass(frozen=True)
class ParsedSkill:
    """A `SkillFolder` with SKILL.md split and its frontmatter parsed (when possible).

    ``stage`` says how far parsing got: ``missing`` (no SKILL.md), ``no_frontmatter``,
    ``unclosed``, ``invalid`` (YAML error, duplicate keys or not a mapping) or ``ok``.
    """

    folder: SkillFolder
    stage: Literal["missing", "no_frontmatter", "unclosed", "invalid", "ok"]
    frontmatter_text: str | None = None
    frontmatter: dict[str, Any] | None = None
    body: str = ""
    error: str | None = None

    def string_field(self, key: str) -> str | None:
        """A frontmatter value if it parsed as a string, else None."""
        value = (self.frontmatter or {}).get(key)
        return value if isinstance(value, str) else None


def parse_skill(folder: SkillFolder) -> ParsedSkill:
    """Split and parse SKILL.md, recording (not raising) every failure."""
    text = folder.skill_md
    if text is None:
        return ParsedSkill(folder, "missing", error=folder.missing_reason)
    try:
        frontmatter_text, body = split_skill_md(text)
    except FrontmatterError as exc:
        return ParsedSkill(folder, "unclosed", body=text, error=str(exc))
    if frontmatter_text is None:
        return ParsedSkill(folder, "no_frontmatter", body=text)
    try:
        frontmatter = load_frontmatter_yaml(frontmatter_text)
    except FrontmatterError as exc:
        return ParsedSkill(folder, "invalid", frontmatter_text, body=body, error=str(exc))
    return ParsedSkill(folder, "ok", frontmatter_text, frontmatter, body)


def _relative_path(raw: str) -> str | None:
    """Normalise an in-memory file key; None if it is absolute or climbs out."""
    path = raw.replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _parent_dirs(paths: Mapping[str, object]) -> frozenset[str]:
    dirs: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for index in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:index]))
    return frozenset(dirs)


def _walk(
    root: Path,
    directory: Path,
    rel: PurePosixPath,
    ancestors: frozenset[Path],
    files: dict[str, str | None],
    real: dict[str, Path],
    dirs: set[str],
    escapes: list[str],
) -> None:
    """Record files and folders under ``directory``; symlinks must stay inside ``root``.

    ``ancestors`` holds the real paths on the current descent, so a symlink back up the
    tree is not followed forever.
    """
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        escapes.append(f"folder '{rel}' could not be listed ({exc.strerror})")
        return
    for entry in entries:
        entry_rel = rel / entry.name
        key = entry_rel.as_posix()
        target = Path(entry.path)
        if entry.is_symlink():
            try:
                target = target.resolve(strict=True)
            except (OSError, RuntimeError):
                escapes.append(f"symlink '{key}' points to a missing or looping target")
                continue
            if not target.is_relative_to(root):
                escapes.append(f"symlink '{key}' resolves to '{target}', outside the skill folder")
                continue
        if target.is_dir():
            dirs.add(key)
            if target not in ancestors:
                _walk(root, target, entry_rel, ancestors | {target}, files, real, dirs, escapes)
        elif target.is_file():
            files[key] = None
            real[key] = target
