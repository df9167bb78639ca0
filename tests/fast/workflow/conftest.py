"""Fixtures of the fast workflow layer: a worker per test on the session's dev server.

The server (`tests/fast/conftest.py`) is the real `temporal` binary, started once per
session; each test gets its own task queue and a worker
running the real `SkillJob` with real or stub activities. Durations come from the job's
input, so deadlines, reminders and the promotion window last a second, not a day.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.fast.workflow.jobs import Harness, StartHarness, real_activities
from workflows.skill_job import SkillJob


@pytest.fixture
def skills_root(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    root.mkdir()
    return root


@pytest.fixture
async def start_harness(
    temporal_env: WorkflowEnvironment, skills_root: Path
) -> AsyncIterator[StartHarness]:
    """Start a worker with the given activities on a fresh task queue.

    On teardown, even after a failed test: stop the worker, terminate the test's still-open
    jobs (so no timer keeps the shared server busy), then stop the activity threads.
    """
    async with AsyncExitStack() as stack:
        executor = stack.enter_context(ThreadPoolExecutor(max_workers=8))
        handles: list[WorkflowHandle[Any, Any]] = []

        async def start(activities: Sequence[Callable[..., Any]]) -> Harness:
            task_queue = f"fast-{uuid.uuid4().hex[:12]}"
            worker = Worker(
                temporal_env.client,
                task_queue=task_queue,
                workflows=[SkillJob],
                activities=list(activities),
                activity_executor=executor,
                # Heartbeats (which carry a cancel to an activity) go out at once.
                max_heartbeat_throttle_interval=timedelta(milliseconds=100),
                graceful_shutdown_timeout=timedelta(0),
            )
            await stack.enter_async_context(worker)
            return Harness(temporal_env.client, task_queue, skills_root, handles)

        async def terminate_open_jobs() -> None:
            for handle in handles:
                try:
                    await handle.terminate(reason="test finished")
                except RPCError:
                    pass  # already closed

        # Exit order (last in, first out): workers, then this, then the executor.
        stack.push_async_callback(terminate_open_jobs)
        yield start


@pytest.fixture
async def harness(start_harness: StartHarness, skills_root: Path) -> Harness:
    """A worker with the real activities: offline author, drafts and promotion on tmp_path."""
    return await start_harness(real_activities(skills_root))
