"""Tokens spent by the LLM calls of one activity, gathered without passing them around.

The author and the judge add each call's usage (pydantic-ai's `RunUsage`) to the counter
of the activity that runs them; a ContextVar keeps concurrent activities apart (each runs
in its own task). Outside `counting()` nothing is kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from workflows.activity_models import TokenUsage

_counter: ContextVar[list[TokenUsage] | None] = ContextVar("llm_usage", default=None)


def add(usage: Any) -> None:
    """Add one model run's usage (`RunUsage`: requests, input_tokens, output_tokens)."""
    counter = _counter.get()
    if counter is None:
        return
    counter[0] = counter[0].plus(TokenUsage(
        calls=int(getattr(usage, "requests", 0) or 1),
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0)))


@contextlib.contextmanager
def counting() -> Iterator[list[TokenUsage]]:
    """Count the calls made inside; the total is `counter[0]` (no call: `calls == 0`)."""
    counter = [TokenUsage()]
    token = _counter.set(counter)
    try:
        yield counter
    finally:
        _counter.reset(token)
