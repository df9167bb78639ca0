"""The bare baseline's worker, a separate process like the real one: `python -m bench.bare_worker`.

Same worker settings as `worker.py` with default `SKILL_FLEET_*` values (100 concurrent
activities, 1,000 cached workflows); the default data converter (no pydantic).
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_workflow import ACTIVITIES, BareJob


async def main(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[BareJob], activities=ACTIVITIES,
                      max_concurrent_activities=100, max_cached_workflows=1000):
        print("bare worker polling", task_queue, flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.address, args.task_queue))
