"""The real app in-process: `create_app`, its lifespan, and an httpx client over ASGI.

`raw()` sends a request target byte for byte, decoded as uvicorn decodes it (percent
escapes in the path undone, nothing normalised), which an HTTP client would not allow:
`..` segments and `%00` are what the traversal and NUL cases are about.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import hash_key
from api.deps import get_gateway
from api.job_gateway import JobGateway
from common.settings import Settings
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.temporal_stub import StubTemporal

ALICE, BOB, ADMIN = "alice-key-0123456789", "bob-key-0123456789", "admin-key-0123456789"
KEYS = json.dumps([
    {"key_sha256": hash_key(ALICE), "user_id": "alice", "role": "user"},
    {"key_sha256": hash_key(BOB), "user_id": "bob", "role": "user"},
    {"key_sha256": hash_key(ADMIN), "user_id": "root", "role": "admin"},
])


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


BASE_URL = "http://localhost"  # open local mode answers only to a localhost Host header


def make_settings(skills_root: Path, **overrides: Any) -> Settings:
    """Every setting the API reads, given explicitly, so the environment cannot leak in.

    Without keys the app runs in open local mode (SKILL_FLEET_OPEN_MODE=1)."""
    keyless = overrides.get("api_keys") is None and overrides.get("api_keys_file") is None
    values: dict[str, Any] = {
        "open_mode": keyless,
        "skills_root": skills_root,
        "temporal_namespace": "default",
        "task_queue": "skill-fleet-fast",
        "api_keys": None,
        "api_keys_file": None,
        "max_body_bytes": 256 * 1024,
        "max_active_jobs_per_user": 100,
        "rpc_timeout_seconds": 1.0,
        "hitl_timeout_seconds": 24 * 3600,
        "max_revisions": 3,
        "webhook_url": None,
        "webhook_allowed_hosts": [],
        "sse_heartbeat_seconds": None,
        "create_rate_per_minute": 30,
        "create_burst": None,
        "max_event_streams_per_user": 8,
        "max_waits_per_user": 16,
        **overrides,
    }
    return Settings(**values)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    """A running app and a client for it; `use_fake` / `use_real` pick the gateway."""

    app: FastAPI
    http: httpx.AsyncClient
    settings: Settings

    def use_fake(self, gateway: FakeGateway) -> None:
        """Routes get `gateway` instead of JobGateway (overrides are read per request)."""
        async def fake() -> FakeGateway:  # async: FastAPI runs a sync one in a thread
            return gateway

        self.app.dependency_overrides[get_gateway] = fake
        self.app.state.limits = None  # a new gateway, new limits (built on first use)

    def use_real(self, temporal: StubTemporal) -> None:
        """The real gateway, built as the lifespan builds it, over `temporal`."""
        self.app.dependency_overrides.pop(get_gateway, None)
        self.app.state.limits = None
        self.app.state.gateway = JobGateway(temporal, self.settings)  # type: ignore[arg-type]

    async def raw(self, method: str, target: bytes, *, body: bytes = b"",
                  headers: list[tuple[bytes, bytes]] | None = None) -> RawResponse:
        """Call the ASGI app with this exact request target (see the module docstring).

        A Content-Length matching `body` is added unless `headers` declare one."""
        raw_path, _, query = target.partition(b"?")
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "root_path": "",
            "path": unquote(raw_path.decode("ascii")), "raw_path": raw_path,
            "query_string": query, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "headers": [(b"host", b"localhost"), *(headers or [])],
        }
        if not any(k.lower() == b"content-length" for k, _ in scope["headers"]):
            scope["headers"].append((b"content-length", str(len(body)).encode()))
        sent: list[MutableMapping[str, Any]] = []
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return pending.pop() if pending else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        app: Callable[..., Awaitable[None]] = self.app
        await app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        return RawResponse(
            status=start["status"],
            headers={k.decode().lower(): v.decode() for k, v in start.get("headers", [])},
            body=b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
        )


@asynccontextmanager
async def running_api(settings: Settings, *, gateway: FakeGateway | None = None,
                      temporal: StubTemporal | None = None) -> AsyncIterator[Api]:
    """`create_app(settings, client=...)` with its lifespan run. With `gateway`, that fake
    replaces JobGateway; otherwise the real gateway talks to `temporal` (a StubTemporal).

    FastAPI prepares each route on an app's first request (~15 ms), so fixtures share one
    app per module and switch the gateway per test rather than build an app per test.
    """
    app = create_app(settings, client=temporal or StubTemporal())  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        # raise_app_exceptions=False: an unhandled error is the 500 a server would send.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            api = Api(app, http, settings)
            if gateway is not None:
                api.use_fake(gateway)
            yield api


def app_fixture(app: str, boundary: str = "gateway") -> Any:
    """A per-test fixture: the module's running `app` (a fixture name) with the test's
    `boundary` fixture in place: `gateway` (a FakeGateway instead of JobGateway) or
    `temporal` (the real gateway over a StubTemporal). A conftest assigns it to a name."""

    @pytest.fixture
    def fixture(request: pytest.FixtureRequest) -> Api:
        running: Api = request.getfixturevalue(app)
        stub = request.getfixturevalue(boundary)
        if isinstance(stub, StubTemporal):
            running.use_real(stub)
        else:
            running.use_fake(stub)
        return running

    return fixture
