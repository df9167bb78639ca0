"""How an activity refuses work it must never retry: one error type per reason.

The type names are the snake_case kinds the API maps to a status and a published
`details.reason` (`api.refusal_status`), the same names the workflow's own refusals use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from temporalio.exceptions import ApplicationError

from skill_store.paths import UnsafePathError


def refusal(kind: str, message: str) -> ApplicationError:
    """A non-retryable failure of type `kind`: retrying cannot make the request acceptable."""
    return ApplicationError(message, type=kind, non_retryable=True)


@contextlib.contextmanager
def paths_checked() -> Iterator[None]:
    """Turn a path that would leave the skills root into an `unsafe_path` refusal."""
    try:
        yield
    except UnsafePathError as err:
        raise refusal("unsafe_path", str(err)) from err
