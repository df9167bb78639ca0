"""Promoting a draft into the skill library: atomic, idempotent under retries, one at a time.

The whole promotion runs under the library lock, so the "does the target exist" check, the
folder swap and the index update cannot interleave with another promotion. Each promoted
folder carries a marker naming the activity attempt that wrote it: a retry of that same
attempt finishes the job instead of refusing its own earlier write.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.skill_library import (
    JOB_MARKER,
    SKILL_MD,
    index_lock,
    now_iso,
    read_marker,
    update_index,
)
from activities.skill_paths import (
    DRAFTS_DIR,
    UnsafePathError,
    check_job_id,
    check_taxonomy_path,
    safe_join,
    scratch_dir,
    swap_in,
)
from workflows.models import PromoteInput, PromoteResult
from workflows.names import ACTIVITY_PROMOTE_DRAFT

SCRATCH_PREFIX = ".tmp-"


def _refuse(kind: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


class PromotionActivities:
    def __init__(self, skills_root: Path) -> None:
        self._root = skills_root

    @activity.defn(name=ACTIVITY_PROMOTE_DRAFT)
    def promote_draft(self, request: PromoteInput) -> PromoteResult:
        info = activity.info()
        attempt_key = f"{info.workflow_run_id}/{info.activity_id}"
        try:
            segments = check_taxonomy_path(request.taxonomy_path)
            check_job_id(request.job_id)
            job_drafts = safe_join(self._root, [DRAFTS_DIR, request.job_id])
            draft = safe_join(self._root, [DRAFTS_DIR, request.job_id, *segments])
            target = safe_join(self._root, segments)
        except UnsafePathError as err:
            raise _refuse("UnsafePath", str(err)) from err

        with index_lock(self._root, on_wait=activity.heartbeat):
            marker = read_marker(target)
            if marker is None or marker.get("attempt") != attempt_key:
                self._check_target(target, segments, request.overwrite)
                marker = self._copy(draft, target, request, attempt_key)
            update_index(
                self._root,
                request.taxonomy_path,
                {
                    "name": request.skill_name,
                    "description": request.description,
                    "path": str(target),
                    "job_id": request.job_id,
                    "promoted_at": marker.get("promoted_at"),
                },
            )
            if request.delete_draft:
                shutil.rmtree(job_drafts, ignore_errors=True)
        activity.logger.info("promoted %s to %s", request.job_id, target)
        return PromoteResult(
            job_id=request.job_id, final_path=str(target), taxonomy_path=request.taxonomy_path
        )

    def _check_target(self, target: Path, segments: list[str], overwrite: bool) -> None:
        """Only a skill folder may be replaced, and only with overwrite: never a category
        folder holding other skills, never a folder nested inside another skill."""
        base = self._root.resolve()
        for depth in range(1, len(segments)):
            ancestor = base.joinpath(*segments[:depth])
            if (ancestor / SKILL_MD).exists():
                raise _refuse(
                    "TargetExists",
                    f"{'/'.join(segments)} would nest inside the "
                    f"skill {'/'.join(segments[:depth])}.",
                )
        if not target.exists():
            return
        if not target.is_dir() or not (target / SKILL_MD).is_file():
            raise _refuse(
                "TargetExists",
                f"{'/'.join(segments)} exists and is not a skill folder; it is never replaced.",
            )
        if not overwrite:
            raise _refuse(
                "TargetExists",
                f"A skill already exists at {'/'.join(segments)}; "
                "promote with overwrite=true to replace it.",
            )

    def _copy(
        self, draft: Path, target: Path, request: PromoteInput, attempt_key: str
    ) -> dict[str, str]:
        """Copy into a scratch sibling, then swap it in with renames."""
        if not (draft / SKILL_MD).is_file():
            raise _refuse("no_draft", "The job's draft is no longer on disk.")
        _refuse_links(draft)
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_scratch(target.parent)
        marker = {"job_id": request.job_id, "attempt": attempt_key, "promoted_at": now_iso()}
        scratch = scratch_dir(target.parent)
        try:
            shutil.copytree(draft, scratch, symlinks=True)
            (scratch / JOB_MARKER).write_text(json.dumps(marker), encoding="utf-8")
            activity.heartbeat()
            swap_in(scratch, target)
        finally:
            if scratch.exists():
                shutil.rmtree(scratch)
        return marker


def _refuse_links(draft: Path) -> None:
    """A draft is written by us and holds only regular files; anything else is refused."""
    for folder, dirs, files in os.walk(draft):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise _refuse(
                    "UnsafePath",
                    f"The draft holds {path.name!r}, which is not a regular file or folder.",
                )


def _remove_stale_scratch(parent: Path) -> None:
    """Scratch folders left by a crashed promotion; safe because we hold the lock."""
    for entry in parent.iterdir():
        if entry.name.startswith(SCRATCH_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
