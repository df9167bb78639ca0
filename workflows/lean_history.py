"""The job's smaller history (issue 27), decided once, in the first task, by input or patch.

A lean job (format 0 with the `lean-history` marker, or format 1):
- holds an answer's `?wait` reply without a timer (the API bounds the wait on its side),
- validates and saves its draft as local activities, in the workflow task of the answer
  before, publishing its view once after them,
- takes the `split-memo-view` and `reviewer-edits` paths without their own markers.

Which jobs are lean: `lean(job) = job.history_format >= 1 or workflow.patched("lean-history")`,
short-circuit. The API writes `HISTORY_FORMAT` into every new job's input, so such a job never
asks `patched()` and its history has no marker and no `TemporalChangeVersion` upsert (2 events
a patch costs, which the SDK cannot be told to leave out). The input is in the history, so the
decision replays the same. A job started by an older API (format 0) still asks the patch: it
is lean on a worker since the patch (its history opens with the marker) and keeps every command
it issued before. The next change of a new job's commands raises `HISTORY_FORMAT` instead of
adding a patch; a worker must know a format before an API writes it (deploy workers first: an
older worker ignores the field and writes the marker, which a newer worker would not expect).

A job of format 1 (`by_input`) also:
- waits for all its deadlines with one pending timer (`workflows.wake_timer`), not a timer
  per prompt that is cancelled when the answer comes,
- starts with the view its first task leaves as memo (`workflows.start_view`: the API passes
  it with the start), so that task upserts only its search attributes (pending -> running).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.models import JobInput

PATCH_LEAN_HISTORY = "lean-history"
# What the API writes into a new job's input (`JobInput.history_format`):
# 1: lean by input, no `lean-history` marker.
HISTORY_FORMAT = 1
BY_INPUT = 1


def by_input(job: JobInput) -> bool:
    """True for a job whose input says it is lean: the API started it since formats."""
    return job.history_format >= BY_INPUT


def lean(job: JobInput) -> bool:
    """True for a job started since the change; the SDK memoizes `patched()` for the run.

    `SkillJob.__init__` asks first, so a job of format 0 has the marker in its first
    workflow task (or never, if it was started before the patch).
    """
    return by_input(job) or workflow.patched(PATCH_LEAN_HISTORY)


def patched(job: JobInput, patch_id: str) -> bool:
    """`workflow.patched(patch_id)`, true without a marker of its own for a lean job."""
    return lean(job) or workflow.patched(patch_id)
