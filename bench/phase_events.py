"""The events phase: the live stream's round trip and what idle open streams cost."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from bench import drivers as d
from bench.phases import (
    Log,
    Scale,
)
from bench.stack import BenchStack, CpuMeter
from bench.stats import summary_ms

# ---------------------------------------------------------------------- 2b: events stream


async def events_available(http: httpx.AsyncClient, job_id: str) -> tuple[bool, str]:
    """Is GET /jobs/{id}/events served? A missing route is a 404 without a job message."""
    try:
        async with asyncio.timeout(5):
            async with http.stream("GET", f"{d.API}/jobs/{job_id}/events") as r:
                ctype = r.headers.get("content-type", "")
                if r.status_code == 200:
                    return True, ctype
                body = (await r.aread()).decode(errors="replace")[:200]
                return False, f"HTTP {r.status_code}: {body}"
    except TimeoutError:
        return False, "no response headers in 5 s"
    except httpx.HTTPError as err:
        return False, f"{type(err).__name__}: {err}"


async def _sse_prompts(http: httpx.AsyncClient, job_id: str, queue: asyncio.Queue[int],
                       ready: asyncio.Event) -> None:
    """Put the id of every prompt the job's stream announces on `queue`."""
    async with aconnect_sse(http, "GET", f"{d.API}/jobs/{job_id}/events",
                            timeout=httpx.Timeout(120.0)) as source:
        source.response.raise_for_status()
        ready.set()
        async for message in source.aiter_sse():
            if message.event == "prompt_raised":  # the data is the job event itself
                queue.put_nowait(int(message.json()["data"]["prompt_id"]))


async def _events_job(http: httpx.AsyncClient, samples: list[float], user: str) -> None:
    job_id = await d.create_job(http, user, enable_hitl_confirm=True,
                                enable_hitl_preview=True, enable_hitl_review=True)
    queue: asyncio.Queue[int] = asyncio.Queue()
    ready = asyncio.Event()
    reader = asyncio.create_task(_sse_prompts(http, job_id, queue, ready))
    try:
        async with asyncio.timeout(120):
            await ready.wait()
            current = 0
            while current < 1:
                current = await queue.get()
            for _ in range(2):
                sent = time.monotonic()
                await d.answer(http, job_id, current)
                nxt = current
                while nxt <= current:
                    nxt = await queue.get()
                samples.append(time.monotonic() - sent)
                current = nxt
            await d.answer(http, job_id, current)
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader


async def _idle_streams(stack: BenchStack, pool: d.HttpPool, scale: Scale,
                        log: Log) -> dict[str, Any]:
    """CPU while N streams follow N jobs waiting for a human, against the same jobs unwatched.

    People leave a job's stream open while they think; what that costs the stack is the
    difference between the two windows, per stream.
    """
    n, seconds = scale.events_concurrency, scale.read_windows * scale.read_window
    # Each create's reply (`?wait=`) carries the job's first prompt: nothing is polled.
    parked = await asyncio.gather(*(d.first_prompt(pool[i], f"bench-idle-{i}",
                                                   enable_hitl_confirm=True) for i in range(n)))
    jobs = [job for job, _ in parked]
    prompts = [prompt for _, prompt in parked]
    await asyncio.sleep(1.0)  # the last visibility writes of the parking
    meter = CpuMeter(stack.pids()).start()
    await asyncio.sleep(seconds)
    unwatched = meter.stop()

    queues: list[asyncio.Queue[int]] = [asyncio.Queue() for _ in jobs]
    ready = [asyncio.Event() for _ in jobs]
    readers = [asyncio.create_task(_sse_prompts(pool[i], job, queues[i], ready[i]))
               for i, job in enumerate(jobs)]
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(q.get() for q in queues))  # each has replayed its prompt
        await asyncio.sleep(1.0)
        meter = CpuMeter(stack.pids()).start()
        await asyncio.sleep(seconds)
        watched = meter.stop()
        if any(r.done() for r in readers):
            raise d.BenchError("an idle stream ended while its job waited")
    finally:
        for r in readers:
            r.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(d.answer(pool[i], job, prompt["prompt_id"])
                           for i, (job, prompt) in enumerate(zip(jobs, prompts, strict=True))))
    per_stream = {k: round((watched[k] - unwatched[k]) / n * 1000, 3)
                  for k in watched if k != "wall_seconds"}
    out = {"streams": n, "seconds": seconds, "cpu_cores_unwatched": unwatched,
           "cpu_cores_watched": watched, "cpu_ms_per_s_per_stream": per_stream}
    log(f"idle streams: {n} streams on waiting jobs cost, per stream, CPU ms per second: "
        f"{per_stream}")
    return out


async def phase_events(stack: BenchStack, pool: d.HttpPool, scale: Scale, probe_job: str,
                       log: Log) -> dict[str, Any]:
    ok, detail = await events_available(pool[0], probe_job)
    if not ok:
        log(f"events stream: not available ({detail})")
        return {"available": False, "detail": detail}
    if "event-stream" not in detail:
        log(f"events stream: answers {detail}, not text/event-stream; not measured")
        return {"available": False, "detail": f"content-type {detail}"}
    out: dict[str, Any] = {"available": True}
    try:
        for c, jobs_each in ((1, scale.events_jobs), (scale.events_concurrency, 1)):
            samples: list[float] = []
            for _ in range(jobs_each):
                await asyncio.gather(*(_events_job(pool[i], samples, f"bench-events-{i}")
                                       for i in range(c)))
            out[str(c)] = summary_ms(samples)
            log(f"events round trip c={c}: {out[str(c)]}")
        out["idle_streams"] = await _idle_streams(stack, pool, scale, log)
    except (TimeoutError, d.BenchError, httpx.HTTPError) as err:
        out = {"available": False, "detail": f"endpoint exists but measuring failed: "
                                              f"{type(err).__name__}: {err}"}
        log(f"events stream: {out['detail']}")
    return out
