"""Latency and errors of author (LLM or offline) calls, through the activity's metric meter.

The meter belongs to the worker's Temporal runtime, so these series appear on the same
Prometheus endpoint as the SDK's own metrics, labelled with the activity type and task
queue; without a metrics endpoint the meter is a no-op. Every attempt is measured:
retries show up as extra calls, which is what a model provider bills.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflows.activity_models import TokenUsage

AUTHOR_CALL_SECONDS = "skill_fleet_author_call_seconds"
AUTHOR_CALL_ERRORS = "skill_fleet_author_call_errors"  # exported with `_total`

# Model calls take seconds to minutes; the SDK's default buckets stop at 10 s.
HISTOGRAM_BUCKETS: dict[str, list[float]] = {
    AUTHOR_CALL_SECONDS: [0.05, 0.25, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
}

log = logging.getLogger("skill_fleet.author")


def _error_kind(err: BaseException) -> str:
    """A bounded label: the ApplicationError type, else the exception class name."""
    if isinstance(err, ApplicationError) and err.type:
        return err.type
    return type(err).__name__


@asynccontextmanager
async def author_call(call: str, model: str) -> AsyncIterator[None]:
    """Time one author call (`understand` / `generate`) and count its failures."""
    meter = activity.metric_meter()
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    except Exception as err:
        outcome = "error"
        meter.create_counter(AUTHOR_CALL_ERRORS, "Failed author calls.").add(
            1, {"call": call, "model": model, "error": _error_kind(err)})
        log.warning("author %s with %s failed after %.2fs: %s", call, model,
                    time.perf_counter() - started, _error_kind(err))
        raise
    finally:
        seconds = time.perf_counter() - started
        meter.create_histogram_float(
            AUTHOR_CALL_SECONDS, "Latency of author (LLM) calls.", "s",
        ).record(seconds, {"call": call, "model": model, "outcome": outcome})
    log.info("author %s with %s took %.2fs (attempt %d)", call, model, seconds,
             activity.info().attempt)


LLM_TOKENS = "skill_fleet_llm_tokens"  # exported with `_total`


def record_tokens(call: str, model: str, usage: TokenUsage) -> None:
    """Count the tokens of one activity's model calls, in and out (what refinement costs)."""
    if not usage.calls:
        return
    counter = activity.metric_meter().create_counter(
        LLM_TOKENS, "Tokens of LLM calls, by call and direction.")
    counter.add(usage.input_tokens, {"call": call, "model": model, "direction": "input"})
    counter.add(usage.output_tokens, {"call": call, "model": model, "direction": "output"})
