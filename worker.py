"""Starts a skill-fleet worker: `python worker.py` (settings from SKILL_FLEET_* variables)."""

from __future__ import annotations

import asyncio
import compileall
import logging
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

import workflows
from activities.authoring import AuthoringActivities
from activities.authors import make_author, make_judge
from activities.drafts import DraftActivities
from activities.metrics import HISTOGRAM_BUCKETS as AUTHOR_BUCKETS
from activities.promotion import PromotionActivities
from activities.refining import RefineActivities
from activities.run_cancel import cancel_run
from activities.validation import validate_skill, warm_validator
from activities.webhooks import WebhookActivities
from common.logging import configure_logging, temporal_core_logging
from common.namespace_check import NamespaceMisconfigured, TemporalUnreachable, ensure_namespace
from common.settings import Settings, get_settings
from common.temporal import connect
from workflows.job_metrics import HISTOGRAM_BUCKETS as JOB_BUCKETS
from workflows.skill_job import SkillJob

log = logging.getLogger("skill_fleet.worker")


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    author = make_author(settings)
    authoring = AuthoringActivities(author)
    refining = RefineActivities(author, make_judge(settings))
    drafts = DraftActivities(settings.skills_root)
    promotion = PromotionActivities(settings.skills_root)
    webhooks = WebhookActivities(secrets=settings.webhook_secrets,
                                 operator_url=settings.webhook_url,
                                 allowed_hosts=settings.webhook_allowed_hosts)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[SkillJob],
        activities=[
            authoring.understand_task,
            authoring.generate_skill,
            refining.refine_draft,
            refining.judge_draft,
            validate_skill,
            drafts.save_draft,
            drafts.delete_draft,
            cancel_run,
            promotion.promote_draft,
            webhooks.deliver_webhook,
        ],
        activity_executor=executor,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_cached_workflows=settings.worker_max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
        sticky_queue_schedule_to_start_timeout=timedelta(
            seconds=settings.worker_sticky_queue_timeout_seconds),
    )


def precompile_workflow_code() -> None:
    """Write bytecode for the `workflows` package before the first workflow runs.

    The workflow sandbox imports `workflows.skill_job` afresh for every workflow run (and for
    every replay after a cache eviction). Without a `.pyc` (PYTHONDONTWRITEBYTECODE, a fresh
    checkout) each import compiles the module again: ~6 ms, 14 % of the worker's CPU in the
    benchmark's profile. `compileall` writes the cache even where the interpreter would not;
    a read-only install (the Docker image compiles at build time) is fine to skip.
    """
    try:
        compileall.compile_dir(Path(workflows.__file__).parent, quiet=2)
    except OSError:
        pass


def telemetry_runtime(settings: Settings) -> Runtime:
    """The SDK runtime: Core's logs into Python logging, and Prometheus when a port is set.

    Everything recorded through the SDK's metric meters (its own metrics, `job_metrics`
    in the workflow, `activities.metrics` in the author activities) is served at
    http://<worker_metrics_host>:<worker_metrics_port>/metrics, with Prometheus-style
    names: counters end in `_total`, durations are seconds.
    """
    metrics = None
    if settings.worker_metrics_port:
        metrics = PrometheusConfig(
            bind_address=f"{settings.worker_metrics_host}:{settings.worker_metrics_port}",
            counters_total_suffix=True,
            durations_as_seconds=True,
            histogram_bucket_overrides={**AUTHOR_BUCKETS, **JOB_BUCKETS},
        )
    return Runtime(telemetry=TelemetryConfig(logging=temporal_core_logging(), metrics=metrics))


async def check_namespace_or_exit(client: Client, settings: Settings) -> None:
    """Exit (code 2, the fix logged) unless the namespace has our search attributes.

    A worker on a namespace without them fails every workflow task forever while jobs
    look `pending`; refusing to start with the command to run is the useful failure.
    """
    try:
        added = await ensure_namespace(client, settings)
    except (NamespaceMisconfigured, TemporalUnreachable) as err:
        log.critical("Refusing to start: %s", err)
        raise SystemExit(2) from None
    if added:
        log.info("registered search attributes %s in namespace %s", ", ".join(added),
                 settings.temporal_namespace)


async def run_worker(settings: Settings) -> None:
    # The default runtime, so the client (and the worker built on it) use it.
    Runtime.set_default(telemetry_runtime(settings), error_if_already_set=False)
    client = await connect(settings)
    await check_namespace_or_exit(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=settings.worker_max_concurrent_activities) as executor:
        worker = build_worker(client, settings, executor)
        if settings.worker_metrics_port:
            log.info("worker metrics at http://%s:%s/metrics", settings.worker_metrics_host,
                     settings.worker_metrics_port)
        log.info("worker polling task queue %s at %s", settings.task_queue,
                 settings.temporal_address)
        async with worker:
            # Beside the polling, not before it: the worker is ready at once.
            warming = loop.run_in_executor(executor, warm_validator)
            warming.add_done_callback(_log_warm_up)
            await stop.wait()
            log.info("worker shutting down (graceful timeout %ss)",
                     settings.worker_graceful_shutdown_seconds)


def _log_warm_up(done: asyncio.Future[object]) -> None:
    if not done.cancelled() and (err := done.exception()) is not None:
        log.warning("validator warm-up failed (the first validation loads it): %s", err)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    precompile_workflow_code()
    asyncio.run(run_worker(settings))
    # After a clean shutdown the SDK's Rust threads can still call into Python while the
    # interpreter finalizes, aborting the process ("Fatal Python error: PyGILState_Release",
    # temporalio/sdk-python#300; seen here once in a full test run). Everything is
    # stopped by now: flush and leave without finalizing, with a clean exit code.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
