"""The fast layer's one real Temporal dev server per test process.

The real `temporal` binary (no download, so no `start_time_skipping`), in-process through
`WorkflowEnvironment.start_local`, shared by every fast test that runs workflows: a server
costs about a second of CPU to start and a little to keep, on a 2-core machine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from common import search_attributes as sa
from devstack.temporal_server import temporal_binary

# The server reads timers this far ahead (default 1 s), so without it every timer shorter
# than a second fires after a full second: a 0.3 s deadline would last 1 s.
TIMER_SHIFT_KEY = "history.timerProcessorMaxTimeShift"
TIMER_SHIFT = '"10ms"'


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """One dev server for the whole session: starting it costs about a second."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_binary(),
        search_attributes=sa.ALL,
        ui=False,
        dev_server_log_level="error",
        dev_server_extra_args=["--dynamic-config-value", f"{TIMER_SHIFT_KEY}={TIMER_SHIFT}"],
    )
    try:
        yield env
    finally:
        await env.shutdown()
