"""Writing and removing drafts: atomic and idempotent, because activities can run twice."""

from __future__ import annotations

import shutil
from pathlib import Path

from temporalio import activity

from activities.refusals import paths_checked
from skill_format.models import SkillContent
from skill_store.paths import (
    SCRATCH_PREFIX,
    check_taxonomy_path,
    draft_root,
    inside,
    relative_to_root,
    scratch_dir,
    swap_in,
)
from workflows.models import DeleteDraftInput, SaveDraftInput, SaveDraftResult
from workflows.names import ACTIVITY_DELETE_DRAFT, ACTIVITY_SAVE_DRAFT


def write_skill_folder(target: Path, content: SkillContent) -> None:
    """Write the folder under a scratch name, then swap it in with renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir(target.parent)
    scratch.mkdir()
    try:
        files = {"SKILL.md": content.skill_md, **content.files}
        for rel, text in files.items():
            path = inside(scratch, scratch / rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        swap_in(scratch, target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)


class DraftActivities:
    def __init__(self, skills_root: Path) -> None:
        self._root = skills_root

    @activity.defn(name=ACTIVITY_SAVE_DRAFT)
    def save_draft(self, request: SaveDraftInput) -> SaveDraftResult:
        with paths_checked():
            segments = check_taxonomy_path(request.taxonomy_path)
            root = draft_root(self._root, request.job_id)
            target = inside(self._root, root.joinpath(*segments))
        # A retry after a rename of the taxonomy path must not leave two drafts, and
        # an attempt killed mid-write must not leave its scratch folders behind.
        if root.exists():
            for child in root.iterdir():
                if child.name != segments[0]:
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            for scratch in [p for p in root.rglob(f"{SCRATCH_PREFIX}*") if p.is_dir()]:
                shutil.rmtree(scratch, ignore_errors=True)
        write_skill_folder(target, request.content)
        # Relative to the skills root: the API shows it, and the server's layout is private.
        return SaveDraftResult(draft_path=relative_to_root(self._root, target))

    @activity.defn(name=ACTIVITY_DELETE_DRAFT)
    def delete_draft(self, request: DeleteDraftInput) -> None:
        with paths_checked():
            root = draft_root(self._root, request.job_id)
        shutil.rmtree(root, ignore_errors=True)
