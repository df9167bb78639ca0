"""Promoting a draft into the skill library: atomic, idempotent under retries, one at a time.

The whole promotion runs under the library lock, so the "may this replace what is there"
checks, the folder swap and the index update cannot interleave with another promotion.
Each promoted folder carries a marker naming its owner (the job's user) and the activity
attempt that wrote it: a retry of that same attempt finishes the job instead of refusing
its own earlier write.

Who may write where:
- a skill belongs to the user whose job promoted it (marker and index entry `owner`);
  only that user or an admin may replace it, and only with `overwrite`;
- a skill without a recorded owner (hand-made, or promoted before owners were recorded)
  is replaced only by an admin or by the job that promoted it;
- a skill `name` is unique in the library: agents load skills by name, so a second skill
  with that name in another category is refused;
- the replaced folder is kept under `_versions/` (see `skill_store.versions`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.refusals import paths_checked, refusal
from skill_format import SkillFolder, parse_skill
from skill_store.library import (
    JOB_MARKER,
    SKILL_MD,
    index_lock,
    list_skills,
    now_iso,
    read_index,
    read_marker,
    update_index,
)
from skill_store.paths import (
    DRAFTS_DIR,
    SCRATCH_PREFIX,
    check_job_id,
    check_taxonomy_path,
    safe_join,
    scratch_dir,
    swap_in,
)
from skill_store.versions import prune_versions, version_slot
from workflows.names import ACTIVITY_PROMOTE_DRAFT
from workflows.promotion_models import PromoteInput, PromoteResult


class PromotionActivities:
    def __init__(self, skills_root: Path) -> None:
        self._root = skills_root

    @activity.defn(name=ACTIVITY_PROMOTE_DRAFT)
    def promote_draft(self, request: PromoteInput) -> PromoteResult:
        info = activity.info()
        attempt_key = f"{info.workflow_run_id}/{info.activity_id}"
        with paths_checked():
            segments = check_taxonomy_path(request.taxonomy_path)
            check_job_id(request.job_id)
            job_drafts = safe_join(self._root, [DRAFTS_DIR, request.job_id])
            draft = safe_join(self._root, [DRAFTS_DIR, request.job_id, *segments])
            target = safe_join(self._root, segments)

        with index_lock(self._root, on_wait=activity.heartbeat):
            marker = read_marker(target) or {}
            # A retry of this very attempt finds its own write and only finishes the job.
            if marker.get("attempt") != attempt_key or marker.get("job_id") != request.job_id:
                self._check_target(target, segments, request)
                self._check_name_unique(draft, segments, request)
                marker = self._copy(draft, target, segments, request, attempt_key)
            update_index(
                self._root,
                request.taxonomy_path,
                {
                    "name": request.skill_name,
                    "description": request.description,
                    "path": request.taxonomy_path,
                    "job_id": request.job_id,
                    "owner": marker.get("owner"),
                    "promoted_at": marker.get("promoted_at"),
                },
            )
            if request.delete_draft:
                shutil.rmtree(job_drafts, ignore_errors=True)
        activity.logger.info("promoted %s to %s", request.job_id, request.taxonomy_path)
        # Relative to the skills root: the server's own layout is not the caller's business.
        return PromoteResult(
            job_id=request.job_id,
            final_path=request.taxonomy_path,
            taxonomy_path=request.taxonomy_path,
        )

    def _check_target(self, target: Path, segments: list[str], request: PromoteInput) -> None:
        """Only a skill folder may be replaced, only by its owner or an admin, and only with
        overwrite: never a category folder holding other skills, never a folder nested
        inside another skill."""
        base = self._root.resolve()
        where = "/".join(segments)
        for depth in range(1, len(segments)):
            ancestor = base.joinpath(*segments[:depth])
            if (ancestor / SKILL_MD).exists():
                raise refusal(
                    "target_exists",
                    f"{where} would nest inside the skill {'/'.join(segments[:depth])}.",
                )
        if not target.exists():
            return
        if not target.is_dir() or not (target / SKILL_MD).is_file():
            raise refusal(
                "target_exists", f"{where} exists and is not a skill folder; it is never replaced."
            )
        owner, job_id = self._recorded_owner(target, where)
        if not request.admin:
            if owner is None and job_id != request.job_id:
                raise refusal(
                    "not_owner",
                    f"The skill at {where} has no recorded owner; only an admin may replace it.",
                )
            if owner is not None and owner != request.owner:
                raise refusal(
                    "not_owner",
                    f"The skill at {where} belongs to another user; only its owner or an "
                    "admin may replace it.",
                )
        if not request.overwrite:
            raise refusal(
                "target_exists",
                f"A skill already exists at {where}; promote with overwrite=true to replace it "
                "(the current version is kept under _versions/).",
            )

    def _recorded_owner(self, target: Path, where: str) -> tuple[str | None, str | None]:
        """(owner, job id) from the folder's marker, else from the index entry."""
        marker = read_marker(target) or {}
        entry = read_index(self._root).get(where, {})
        owner = marker.get("owner") or entry.get("owner")
        job_id = marker.get("job_id") or entry.get("job_id")
        return (
            owner if isinstance(owner, str) else None,
            job_id if isinstance(job_id, str) else None,
        )

    def _check_name_unique(self, draft: Path, segments: list[str], request: PromoteInput) -> None:
        """A skill's name is unique in the library, whoever asks (admins included)."""
        names = {segments[-1], request.skill_name}
        if (draft / SKILL_MD).is_file():
            drafted = parse_skill(SkillFolder.from_path(draft)).string_field("name")
            if drafted:
                names.add(drafted)
        here = "/".join(segments)
        for entry in list_skills(self._root):
            if entry.taxonomy_path == here:
                continue
            taken = names & {entry.name, entry.taxonomy_path.rsplit("/", 1)[-1]}
            if taken:
                raise refusal(
                    "name_taken",
                    f"A skill named {sorted(taken)[0]!r} already exists at "
                    f"{entry.taxonomy_path}; skill names are unique in the library (agents "
                    "load skills by name). Rewind the job with another skill_name.",
                )

    def _copy(
        self,
        draft: Path,
        target: Path,
        segments: list[str],
        request: PromoteInput,
        attempt_key: str,
    ) -> dict[str, Any]:
        """Copy into a scratch sibling, then swap it in with renames (the old one kept)."""
        if not (draft / SKILL_MD).is_file():
            raise refusal("no_draft", "The job's draft is no longer on disk.")
        _refuse_links(draft)
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_scratch(target.parent)
        marker = {
            "job_id": request.job_id,
            "owner": request.owner,
            "attempt": attempt_key,
            "promoted_at": now_iso(),
        }
        scratch = scratch_dir(target.parent)
        try:
            shutil.copytree(draft, scratch, symlinks=True)
            (scratch / JOB_MARKER).write_text(json.dumps(marker), encoding="utf-8")
            activity.heartbeat()
            keep = None
            if target.exists():
                replaced = read_marker(target) or {}
                keep = version_slot(self._root, segments, replaced.get("job_id"))
            swap_in(scratch, target, keep_old_at=keep)
        finally:
            if scratch.exists():
                shutil.rmtree(scratch)
        prune_versions(self._root, segments)
        return marker


def _refuse_links(draft: Path) -> None:
    """A draft is written by us and holds only regular files; anything else is refused."""
    for folder, dirs, files in os.walk(draft):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise refusal(
                    "unsafe_path",
                    f"The draft holds {path.name!r}, which is not a regular file or folder.",
                )


def _remove_stale_scratch(parent: Path) -> None:
    """Scratch folders left by a crashed promotion; safe because we hold the lock."""
    for entry in parent.iterdir():
        if entry.name.startswith(SCRATCH_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
