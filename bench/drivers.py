"""Clients that drive jobs: over HTTP (the product) and with the SDK (the bare baseline)."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio.client import Client

from bench.bare_workflow import WORKFLOW_TYPE as BARE_TYPE
from bench.stack import BARE_TASK_QUEUE

API = "/api/v2"
TASK = ("Write commit messages for git repositories following the conventional commits "
        "format")
TERMINAL = {"completed", "failed", "cancelled"}
# A client that answers as soon as a prompt appears polls this often (between requests).
POLL_SECONDS = 0.01
# `POST /hitl/{id}/response?wait=` : hold the reply until the next prompt (or the job's end).
ANSWER_WAIT_SECONDS = 30.0


class BenchError(RuntimeError):
    pass


async def until(condition: Callable[[], bool], interval: float = 0.05) -> None:
    """Wait until `condition()` holds, checking every `interval` seconds."""
    while True:
        if condition():
            return
        await asyncio.sleep(interval)


def http_client(base_url: str, max_connections: int) -> httpx.AsyncClient:
    """Async httpx with a bounded pool; loopback only."""
    assert base_url.startswith("http://127.0.0.1:"), base_url
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(60.0, pool=120.0),
        # Idle connections are dropped before uvicorn's 5 s keep-alive timeout; at the same
        # 5 s, a reused connection could be closed by the server as the request went out.
        limits=httpx.Limits(max_connections=max_connections,
                            max_keepalive_connections=max_connections, keepalive_expiry=2.0),
    )


class HttpPool:
    """Several small httpx clients instead of one big one: `pool[i]` for simulated client i.

    httpcore scans every connection of a pool for each request, so one client with ~100
    connections costs the load generator most of a core at a few hundred requests/s (seen in
    py-spy) and the benchmark would measure itself. 16 clients x 8 connections = 128 at most.
    """

    def __init__(self, base_url: str, clients: int = 16, connections_each: int = 8) -> None:
        self.clients = [http_client(base_url, connections_each) for _ in range(clients)]
        self.max_connections = clients * connections_each

    def __getitem__(self, i: int) -> httpx.AsyncClient:
        return self.clients[i % len(self.clients)]

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for c in self.clients:
            await c.aclose()


@dataclass
class Samples:
    """Timestamped samples, so only those inside a measuring window count."""

    values: list[tuple[float, float]] = field(default_factory=list)

    def add(self, at: float, value: float) -> None:
        self.values.append((at, value))

    def between(self, start: float, end: float) -> list[float]:
        return [v for t, v in self.values if start <= t < end]


@dataclass
class HttpJobRecorder:
    completions: Samples = field(default_factory=Samples)   # (done_at, job seconds)
    round_trips: Samples = field(default_factory=Samples)   # (answer sent at, seconds)
    in_flight: set[str] = field(default_factory=set)
    finished: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    prompt_types: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1


async def create_job(http: httpx.AsyncClient, user: str, rec: HttpJobRecorder | None = None,
                     **options: Any) -> str:
    return (await create(http, user, rec, **options))["job_id"]


async def create(http: httpx.AsyncClient, user: str, rec: HttpJobRecorder | None = None,
                 wait: float = 0.0, **options: Any) -> dict[str, Any]:
    """POST the create (a 503 is retried); the reply's body.

    With `wait` the reply is held until the job's first prompt exists (in `prompt`) or the
    job ended, so the client learns it without polling.
    """
    body = {"task_description": TASK, "user_id": user, **options}
    return await _post_retrying(http, f"{API}/skills/create", "POST /skills/create", body, wait,
                                rec, ok=202, attempts=20, pause=0.2, what="create")


async def _post_retrying(http: httpx.AsyncClient, path: str, route: str, body: dict[str, Any],
                         wait: float, rec: HttpJobRecorder | None, *, ok: int, attempts: int,
                         pause: float, what: str, count_errors: bool = False) -> dict[str, Any]:
    """POST `body` (`?wait=` when given) until the reply is `ok`, retrying a 503 (no worker
    took it in time) up to `attempts` times, `pause` s apart; the reply's body."""
    params = {"wait": wait} if wait else None
    for attempt in range(attempts):
        r = await http.post(path, json=body, params=params)
        if rec is not None:
            rec.count(route)
        if r.status_code == ok:
            return r.json()
        if rec is not None and count_errors:
            rec.error(f"{what}_{r.status_code}")
        if r.status_code != 503 or attempt == attempts - 1:
            raise BenchError(f"{what}: {r.status_code} {r.text[:300]}")
        await asyncio.sleep(pause)
    raise AssertionError


async def first_prompt(http: httpx.AsyncClient, user: str, rec: HttpJobRecorder | None = None,
                       wait: float = ANSWER_WAIT_SECONDS, poll: float = POLL_SECONDS,
                       **options: Any) -> tuple[str, dict[str, Any]]:
    """Create a job and return it with its first prompt: from the create's reply with `wait`
    (polling only if the wait ran out), by polling every `poll` s with `wait=0`."""
    created = await create(http, user, rec, wait=wait, **options)
    job_id, prompt = created["job_id"], created.get("prompt")
    if prompt is None:
        if created["status"] in TERMINAL:
            raise BenchError(f"job {job_id} ended ({created['status']}) before its first prompt")
        prompt = await wait_prompt(http, job_id, 0, poll=poll, rec=rec)
    return job_id, prompt


async def _poll_get(http: httpx.AsyncClient, url: str, deadline: float,
                    poll: float) -> httpx.Response:
    """GET `url`, repeating it after transport errors (safe for a GET) until `deadline`."""
    while True:
        try:
            return await http.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(poll)


async def _poll_json(http: httpx.AsyncClient, path: str, route: str, within: float,
                     poll: float, rec: HttpJobRecorder | None,
                     seen: Callable[[dict[str, Any]], dict[str, Any] | None],
                     late: str) -> dict[str, Any]:
    """GET `path` every `poll` s until `seen(body)` returns something; 503 is waited out,
    another status is an error, and `within` s without it raise `late`."""
    deadline = time.monotonic() + within
    while True:
        r = await _poll_get(http, path, deadline, poll)
        if rec is not None:
            rec.count(route)
        if r.status_code == 200:
            found = seen(r.json())
            if found is not None:
                return found
        elif r.status_code != 503:
            raise BenchError(f"{route}: {r.status_code} {r.text[:300]}")
        if time.monotonic() > deadline:
            raise BenchError(late)
        await asyncio.sleep(poll)


async def wait_prompt(http: httpx.AsyncClient, job_id: str, after: int,
                      within: float = 300.0, poll: float = POLL_SECONDS,
                      rec: HttpJobRecorder | None = None) -> dict[str, Any]:
    """Poll GET /hitl/{id}/prompt until a prompt newer than `after` is visible."""
    def seen(body: dict[str, Any]) -> dict[str, Any] | None:
        prompt = body.get("prompt")
        if prompt and prompt["prompt_id"] > after:
            return prompt
        if body.get("status") in TERMINAL:
            raise BenchError(f"job {job_id} ended ({body.get('status')}) waiting for a prompt")
        return None

    return await _poll_json(http, f"{API}/hitl/{job_id}/prompt", "GET /hitl/{id}/prompt",
                            within, poll, rec, seen,
                            f"job {job_id}: no prompt after {after} in {within}s")


async def wait_status(http: httpx.AsyncClient, job_id: str, wanted: set[str],
                      within: float = 300.0, poll: float = POLL_SECONDS,
                      rec: HttpJobRecorder | None = None) -> dict[str, Any]:
    """Poll GET /jobs/{id} until the job's status is one of `wanted`."""
    def seen(job: dict[str, Any]) -> dict[str, Any] | None:
        if job["status"] in wanted:
            return job
        if job["status"] in TERMINAL:
            raise BenchError(f"job {job_id} ended {job['status']}: {job.get('error')}")
        return None

    return await _poll_json(http, f"{API}/jobs/{job_id}", "GET /jobs/{id}", within, poll, rec,
                            seen, f"job {job_id}: not {sorted(wanted)} in {within}s")


async def answer(http: httpx.AsyncClient, job_id: str, prompt_id: int,
                 rec: HttpJobRecorder | None = None, wait: float = 0.0) -> dict[str, Any]:
    """POST the answer; a 503 (no worker took it in time) is retried with the same id.

    With `wait` the reply is held until the answer led to the next prompt or the job's end.
    """
    body = {"prompt_id": prompt_id, "action": "proceed", "response_id": uuid.uuid4().hex}
    return await _post_retrying(http, f"{API}/hitl/{job_id}/response", "POST /hitl/{id}/response",
                                body, wait, rec, ok=200, attempts=10, pause=0.0, what="answer",
                                count_errors=True)


async def http_job(http: httpx.AsyncClient, rec: HttpJobRecorder, user: str,
                   poll: float = POLL_SECONDS, think: float = 0.0,
                   wait: float = ANSWER_WAIT_SECONDS) -> None:
    """One job through all three checkpoints, answering each prompt as soon as it appears
    (or `think` seconds after it appears: a human reading it).

    With `wait` nothing is polled: the create's reply (`?wait=`) carries the first prompt,
    each answer's reply (`?wait=`) the next one, and the last one the job's end; a round
    trip is an answer's reply with the next prompt. Only a wait that ran out falls back to
    polling. `wait=0` polls every `poll` s instead (the comparison), a round trip then
    ending when `GET /hitl/{id}/prompt` shows the next prompt.
    """
    started = time.monotonic()
    job_id, prompt = await first_prompt(http, user, rec, wait=wait, poll=poll,
                                        enable_hitl_confirm=True, enable_hitl_preview=True,
                                        enable_hitl_review=True)
    rec.in_flight.add(job_id)
    try:
        while True:
            rec.prompt_types[prompt["type"]] = rec.prompt_types.get(prompt["type"], 0) + 1
            if think:
                await asyncio.sleep(think)
            sent = time.monotonic()
            ack = await answer(http, job_id, prompt["prompt_id"], rec, wait=wait)
            if prompt["type"] == "validate":
                break
            nxt = ack.get("prompt") if wait else None
            if nxt is None or nxt["prompt_id"] <= prompt["prompt_id"]:
                nxt = await wait_prompt(http, job_id, prompt["prompt_id"], poll=poll, rec=rec)
            rec.round_trips.add(sent, time.monotonic() - sent)
            prompt = nxt
        if not wait or ack["status"] != "completed":
            await wait_status(http, job_id, {"completed"}, poll=poll, rec=rec)
    finally:
        rec.in_flight.discard(job_id)
    rec.finished.append(job_id)
    now = time.monotonic()
    rec.completions.add(now, now - started)


async def bare_job(client: Client, rec: HttpJobRecorder) -> None:
    """The bare baseline: start, three updates, result; SDK only."""
    started = time.monotonic()
    handle = await client.start_workflow(BARE_TYPE, TASK, id=f"bare-{uuid.uuid4()}",
                                         task_queue=BARE_TASK_QUEUE)
    for checkpoint in range(3):
        sent = time.monotonic()
        await handle.execute_update("answer_checkpoint", args=[checkpoint, "proceed"],
                                    result_type=str)
        if checkpoint:
            rec.round_trips.add(sent, time.monotonic() - sent)
    await handle.result()
    rec.finished.append(handle.id)
    now = time.monotonic()
    rec.completions.add(now, now - started)


async def closed_loop(concurrency: int, job: Callable[[int], Awaitable[None]], *,
                      warmup: float, windows: int, window: float,
                      rec: HttpJobRecorder, window_max: float = 60.0,
                      steady_jobs: int | None = None, min_jobs: int = 1,
                      max_wait: float = 120.0,
                      on_measure: Callable[[float], Any] | None = None) -> dict[str, Any]:
    """`concurrency` clients, each running jobs back to back; throughput per window.

    `job(i)` runs one job for client `i` (each client is its own user, so the per-user cap
    of active jobs, SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER, stays at its default).

    Warm-up lasts `warmup` seconds and at least until `steady_jobs` (default: `concurrency`)
    jobs have finished (steady state: every client has been through a job). Then `windows`
    consecutive windows give one throughput sample each; a window lasts `window` seconds or
    one median job latency (at most `window_max`), whichever is longer. On a machine so slow that
    fewer than
    `min_jobs` jobs finished in them, measuring goes on (up to `max_wait` s more).
    At the end the clients are cancelled, not drained: at most `concurrency` jobs are
    left waiting at a checkpoint.
    """
    failures = 0

    async def client(i: int) -> None:
        nonlocal failures
        while True:
            try:
                await job(i)
            except (BenchError, httpx.HTTPError) as err:
                # Counted, then the client starts a new job; too many and the run fails.
                failures += 1
                rec.error(f"{type(err).__name__}: {str(err).split(':')[0][:60]}")
                if failures > 20:
                    raise

    t0 = time.monotonic()
    tasks = [asyncio.create_task(client(i)) for i in range(concurrency)]

    def check() -> None:
        for t in tasks:
            if t.done() and not t.cancelled() and t.exception():
                raise t.exception()  # type: ignore[misc]

    try:
        await asyncio.sleep(warmup)
        steady = concurrency if steady_jobs is None else steady_jobs
        await until(lambda: len(rec.completions.values) >= steady
                    or time.monotonic() > t0 + warmup + max_wait or any(t.done() for t in tasks))
        check()
        start = time.monotonic()
        latencies = [v for _, v in rec.completions.values]
        span = max(window, min(window_max, statistics.median(latencies))) if latencies else window
        end = start + windows * span
        if on_measure is not None:
            on_measure(windows * span)
        await asyncio.sleep(windows * span)
        # On a slow machine a window can pass before any job or round trip started in it
        # has finished; keep the clients going (bounded) until both have samples.
        await until(lambda: (len(rec.completions.between(start, time.monotonic())) >= min_jobs
                             and rec.round_trips.between(start, end))
                    or time.monotonic() >= end + max_wait or any(t.done() for t in tasks))
        check()
        measured_end = max(end, time.monotonic())
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    per_window = [
        len(rec.completions.between(start + i * span, start + (i + 1) * span)) / span
        for i in range(windows)
    ]
    overall = len(rec.completions.between(start, measured_end)) / (measured_end - start)
    return {"start": start, "end": measured_end, "per_window": per_window, "overall": overall,
            "warmup_s": start - t0, "window_s": span}
