"""Starts a skill-fleet worker: `python worker.py` (settings from SKILL_FLEET_* variables)."""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.authoring import AuthoringActivities
from activities.authors import make_author
from activities.drafts import DraftActivities
from activities.promotion import PromotionActivities
from activities.validation import validate_skill
from activities.webhooks import WebhookActivities
from common.settings import Settings, get_settings
from common.temporal import connect
from workflows.skill_job import SkillJob

log = logging.getLogger("skill_fleet.worker")


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    authoring = AuthoringActivities(make_author(settings))
    drafts = DraftActivities(settings.skills_root)
    promotion = PromotionActivities(settings.skills_root)
    webhooks = WebhookActivities(settings.webhook_secret)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[SkillJob],
        activities=[
            authoring.understand_task,
            authoring.generate_skill,
            validate_skill,
            drafts.save_draft,
            drafts.delete_draft,
            promotion.promote_draft,
            webhooks.deliver_webhook,
        ],
        activity_executor=executor,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_cached_workflows=settings.worker_max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
    )


async def run_worker(settings: Settings) -> None:
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=settings.worker_max_concurrent_activities) as executor:
        worker = build_worker(client, settings, executor)
        log.info("worker polling task queue %s at %s", settings.task_queue,
                 settings.temporal_address)
        async with worker:
            await stop.wait()
            log.info("worker shutting down (graceful timeout %ss)",
                     settings.worker_graceful_shutdown_seconds)


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
