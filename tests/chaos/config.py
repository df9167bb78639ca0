"""The chaos run's plan: how many jobs, which faults, how impatient the client is."""

from __future__ import annotations

from dataclasses import dataclass

TERMINAL = frozenset({"completed", "failed", "cancelled"})
TERMINAL_EVENTS = frozenset({"completed", "cancelled", "promoted"})
RESOLVING_EVENTS = frozenset({"answer_accepted", "prompt_timed_out", "cancelled"})

VAGUE_TASK = "Help me with stuff please"
NAMED_TASKS = [
    "Create a skill named Claude-Helper that formats SQL queries for readability in reviews",
    "Create a skill named Claude-Helper that summarises pytest failures from CI logs",
    "Create a skill named Claude-Helper that drafts release notes from merged pull requests",
]
PLAIN_TASKS = [
    "Write commit messages for git repositories following the conventional commits format",
    "Convert CSV exports from the billing system into monthly revenue charts",
    "Review Python pull requests for security issues and missing tests",
    "Triage Kubernetes incidents from pod logs and suggest the next debugging step",
    "Turn meeting transcripts into a one page summary with decisions and owners",
]
SUBJECTS = [
    "reviewing python pull requests",
    "cleaning csv exports before loading them into a database",
    "writing release notes for a mobile app",
    "debugging flaky integration tests",
]
OUTPUTS = ["guide", "checklist", "script"]


@dataclass
class ChaosConfig:
    jobs: int
    seed: int
    worker_kills: int
    api_kills: int
    server_restarts: int = 1
    # Both workers killed at once (answers 503 until one is back).
    all_worker_kills: int = 0
    fault_gap: tuple[float, float] = (2.0, 5.0)
    worker_down: tuple[float, float] = (0.0, 3.0)
    api_down: tuple[float, float] = (0.0, 2.0)
    server_down: tuple[float, float] = (1.0, 3.0)
    poll_interval: tuple[float, float] = (0.3, 0.6)
    # A human reads the prompt before answering.
    think_time: tuple[float, float] = (0.2, 2.0)
    job_timeout: float = 240.0
    offline_delay: float = 1.0
    cancel_fraction: float = 0.25
    request_timeout: float = 15.0
    # Jobs are created over this many seconds, so faults meet jobs in every phase.
    create_spread: float = 0.0
    # After an answer is taken, send it again (same response_id: a duplicate) and a late
    # answer to the same prompt (new response_id: stale) this often.
    replay_fraction: float = 0.3
