"""One patch for the job's smaller history (issue 27), decided once, in the first task.

A job started since this change (its history opens with the `lean-history` marker):
- holds an answer's `?wait` reply without a timer (the API bounds the wait on its side),
- validates and saves its draft as local activities, in the workflow task of the answer
  before, publishing its view once after them,
- takes the `split-memo-view` and `reviewer-edits` paths without their own markers.

Each patch costs a marker and a `TemporalChangeVersion` upsert (2 events); one patch asked
for in the first workflow task stands for all of these. A job started before has no marker
and keeps every command it issued.
"""

from __future__ import annotations

from temporalio import workflow

PATCH_LEAN_HISTORY = "lean-history"


def lean() -> bool:
    """True for a job started since the change; the SDK memoizes it for the run.

    `SkillJob.__init__` asks first, so the marker is in the first workflow task.
    """
    return workflow.patched(PATCH_LEAN_HISTORY)


def patched(patch_id: str) -> bool:
    """`workflow.patched(patch_id)`, true without a marker of its own for a lean job."""
    return lean() or workflow.patched(patch_id)
