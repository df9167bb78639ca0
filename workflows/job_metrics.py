"""Workflow-side metrics of a skill job, through Temporal's replay-safe metric meter.

Workflow code must be deterministic, so it cannot touch a Prometheus client; the meter
from `workflow.metric_meter()` records nothing while a workflow replays (after a worker
restart or a cache eviction), so each transition is counted once. The worker's runtime
exports these on its Prometheus endpoint with the SDK's own metrics, labelled with
namespace, task queue and workflow type. Durations come from `workflow.now()`, so a wait
that spans a worker restart is still measured from when the prompt was raised.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

# Names as exported (the worker's runtime adds `_total` to counters).
JOB_TRANSITIONS = "skill_fleet_job_transitions"
HITL_WAIT_SECONDS = "skill_fleet_hitl_wait_seconds"
PHASE_SECONDS = "skill_fleet_phase_duration_seconds"

# Bucket boundaries (seconds) for the worker's runtime: the SDK's defaults stop at 10 s,
# while people answer in minutes to days and a phase can include such a wait.
HISTOGRAM_BUCKETS: dict[str, list[float]] = {
    HITL_WAIT_SECONDS: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600],
    PHASE_SECONDS: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 24 * 3600],
}

# A job in `done` is only waiting for promotion: not a phase anyone waits on.
UNTIMED_PHASES = frozenset({"done"})


def record_status(status: str) -> None:
    """Count a job entering `status` (running, pending_*, completed, failed, cancelled)."""
    workflow.metric_meter().create_counter(
        JOB_TRANSITIONS, "Jobs entering each status.",
    ).add(1, {"status": status})


def record_wait(hitl_type: str, seconds: float, outcome: str = "answered") -> None:
    """Time a prompt waited for a human; outcome: answered, timed_out or rewound."""
    workflow.metric_meter().create_histogram_float(
        HITL_WAIT_SECONDS, "Time a prompt waited for a human.", "s",
    ).record(max(seconds, 0.0), {"hitl_type": hitl_type, "outcome": outcome})


def record_phase(phase: str, seconds: float) -> None:
    """Time spent in one phase (human waits at its checkpoints included)."""
    workflow.metric_meter().create_histogram_float(
        PHASE_SECONDS, "Time a job spent in each phase, human waits included.", "s",
    ).record(max(seconds, 0.0), {"phase": phase})


class PhaseClock:
    """Times phases from `enter()` to the next `enter()` (or `stop()`), in workflow time."""

    def __init__(self) -> None:
        self._phase: str | None = None
        self._since: datetime | None = None

    def enter(self, phase: str) -> None:
        if phase == self._phase:
            return
        self.stop()
        if phase not in UNTIMED_PHASES:
            self._phase, self._since = phase, workflow.now()

    def stop(self) -> None:
        if self._phase is not None and self._since is not None:
            record_phase(self._phase, (workflow.now() - self._since).total_seconds())
        self._phase = self._since = None
