"""The API's Prometheus metrics and its per-request telemetry (metrics + access log).

`GET /metrics` is outside `/api/v2` and needs no API key, like every Prometheus target:
it carries counts and latencies, never job ids or user data (requests are labelled by
route template, `/api/v2/jobs/{job_id}`, not by raw path). The API binds to loopback
by default; where it listens more widely, keep /metrics off the public route at the
proxy. Series live in the process's default registry; behind several uvicorn workers
(`--workers N`) each writes them to PROMETHEUS_MULTIPROC_DIR and a scrape sums them.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware
from api.metrics_dir import MULTIPROC_DIR
from common.job_terms import JOB_ID
from common.logging import bind

METRICS_PATH = "/metrics"
UNMATCHED_ROUTE = "unmatched"  # no route: one label value, whatever was asked for
# Any token is a valid HTTP method: others share one label value, so callers cannot
# grow the series without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes every few seconds: counted, but access-logged at DEBUG only.
QUIET_ROUTES = frozenset({METRICS_PATH, "/health", "/api/v2/health"})

HTTP_REQUESTS = Counter(
    "skill_fleet_http_requests", "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "skill_fleet_http_request_duration_seconds",
    "HTTP request latency by method, route template and status (SSE: the stream's life).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
# Counted by JobGateway.start where Temporal starts a job (an idempotent replay starts none).
JOBS_CREATED = Counter(
    "skill_fleet_jobs_created", "Skill jobs started (idempotent replays not counted).",
)

# Job ids are UUID4s; any path segment that is one names the job the request is about.
_JOB_ID = re.compile(rf"/({JOB_ID})(?=/|\Z)", re.I)

access_log = logging.getLogger("skill_fleet.access")
log = logging.getLogger("skill_fleet.api")


def loggable_path(path: str) -> str:
    """The path with non-printable characters percent-encoded again, as the caller sent
    them (`%0A`): a decoded line break in a text log would forge a line of its own."""
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else quote(c, safe="") for c in path)


def job_id_in(path: str) -> str | None:
    match = _JOB_ID.search(path)
    return match.group(1).lower() if match else None


# Per app: each endpoint's (path pattern, template) pairs, from the app's declared routes.
_TEMPLATES: WeakKeyDictionary[Any, dict[Any, list[tuple[re.Pattern[str], str]]]] = (
    WeakKeyDictionary())


def _declared_routes(app: Any) -> Iterator[Any]:
    """Every route with its full path, whichever way this FastAPI includes routers."""
    try:  # newer FastAPI keeps included routers by reference; this flattens them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older ones copy each route into app.routes, prefix applied
        yield from app.routes
    else:
        yield from iter_route_contexts(app.routes)


def _table(app: Any) -> dict[Any, list[tuple[re.Pattern[str], str]]]:
    """Built at the app's first request, when its routes are final; an endpoint added later
    would count as `unmatched` (bounded either way)."""
    table = _TEMPLATES.get(app)
    if table is None:
        table = {}
        for route in _declared_routes(app):
            endpoint, path = getattr(route, "endpoint", None), getattr(route, "path", None)
            template = getattr(route, "path_format", None)
            if endpoint is not None and path and template:
                table.setdefault(endpoint, []).append((compile_path(path)[0], template))
        _TEMPLATES[app] = table
    return table


def route_templates(app: Any) -> list[str]:
    """Every label a matched request can get (the app's route templates)."""
    return sorted({template for pairs in _table(app).values() for _, template in pairs})


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v2/skills/{path}`), else `unmatched`.

    Always one of the app's declared templates, never text from the request: a `{path:path}`
    parameter spans any number of segments, and a label rebuilt from the raw path let
    callers (unauthenticated ones too: auth runs after routing) grow the series at will.
    An endpoint mounted twice (`/health`, `/api/v2/health`) is told apart by its pattern.
    """
    endpoint, app = scope.get("endpoint"), scope.get("app")
    if endpoint is None or app is None:
        return UNMATCHED_ROUTE
    path = str(scope["path"])
    root = str(scope.get("root_path") or "")
    if root and path.startswith(root):
        path = path[len(root):] or "/"
    for pattern, template in _table(app).get(endpoint, ()):
        if pattern.match(path):
            return template
    return UNMATCHED_ROUTE


class RequestTelemetryMiddleware(HttpMiddleware):
    """Time each request once for the metrics and the access log; bind ids for its logs.

    Sits inside RequestIdMiddleware (which puts the id in scope state) so every log line
    of the request carries `request_id`, and `job_id` when the path names a job.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = scope.get("state", {}).get("request_id")
        job_id = job_id_in(scope["path"])
        status = 500  # unless a response starts: an exception becomes a 500 outside

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with bind(request_id=request_id, job_id=job_id):
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                seconds = time.perf_counter() - started
                route, method = route_template(scope), scope["method"]
                label = method if method in METHODS else "other"
                HTTP_REQUESTS.labels(label, route, str(status)).inc()
                HTTP_LATENCY.labels(label, route, str(status)).observe(seconds)
                path = loggable_path(scope["path"])
                access_log.log(
                    logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                    "%s %s %s %.1fms", method, path, status, seconds * 1000,
                    extra={"method": method, "route": route, "path": path,
                           "status": status, "duration_ms": round(seconds * 1000, 2)},
                )


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format of this process's series, or, behind several uvicorn workers
    (`skill-fleet api --workers N` sets PROMETHEUS_MULTIPROC_DIR), of all of them summed:
    a scrape reaches one worker at random, which must not answer for itself alone."""
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
