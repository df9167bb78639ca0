"""Exit codes scripts can rely on, and the one error type that carries them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # validation failed, or the job failed
    USAGE = 2  # typer/click usage errors, and requests the API rejects as invalid
    UNREACHABLE = 3  # the API cannot be reached or is unavailable (5xx)
    AUTH = 4  # the API key was refused (or lacks permission)
    NOT_FOUND = 5
    CONFLICT = 6  # stale prompt, nothing pending, job already finished
    CANCELLED = 7  # the followed job ended cancelled
    DETACHED = 130  # Ctrl-C while following; the job keeps running


EPILOG = (
    "Exit codes: 0 ok · 1 validation failed / job failed · 2 usage error · "
    "3 API unreachable · 4 API key refused · 5 not found · 6 conflict (stale prompt, "
    "finished job) · 7 job cancelled · 130 detached with Ctrl-C (the job keeps running). "
    "Set SKILL_FLEET_API_URL (default http://127.0.0.1:8000) and SKILL_FLEET_API_KEY."
)


class CliError(Exception):
    """A failure worth a clear one-line message and a specific exit code."""

    def __init__(self, message: str, code: ExitCode, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
