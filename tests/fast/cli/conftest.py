"""The CLI in-process (typer's CliRunner) against the real API app with a fake gateway.

Only Temporal is replaced: requests go through the app's routes, auth, validation and
error handlers, so the status codes and messages the CLI maps to exit codes are the
server's own. No process is started and no port is opened.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import typer.main
import typer.testing
from fastapi import Request
from fastapi.testclient import TestClient
from temporalio.client import Client
from typer.testing import CliRunner, Result

import cli.main as cli_main
from api.app import create_app
from api.auth import hash_key
from api.deps import get_gateway
from cli.client import ApiClient
from cli.main import app as cli_app
from common.settings import Settings
from tests.fast.cli.fakes import FakeGateway, StreamSide

API_URL = "http://localhost:8765"  # open local mode answers only to localhost
KEY = "cli-secret"
ADMIN_KEY = "cli-admin"
CORPUS = Path(__file__).parents[2] / "data" / "skill_corpus"


class AppTransport(httpx.BaseTransport):
    """Hands each CLI request to the app's TestClient, streaming kept (SSE).

    Starlette's TestClient is built on `httpx2`, not the `httpx` the CLI uses, so the
    request and response are copied across rather than passed through.
    """

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = self.client.build_request(request.method, str(request.url),
                                         headers=request.headers.multi_items(),
                                         content=request.read())
        r = self.client.send(sent, stream=True)
        return httpx.Response(r.status_code, headers=r.headers.multi_items(),
                              stream=_Body(r))


class _Body(httpx.SyncByteStream):
    """The app's response body, read as the CLI reads it (an open SSE stream included)."""

    def __init__(self, response: Any) -> None:
        self.response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self.response.iter_raw()

    def close(self) -> None:
        self.response.close()


@dataclass
class Cli:
    """Runs `skill-fleet ARGS` in-process; stdout and stderr are kept apart."""

    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None, columns: int = 200,
                 **env: str | None) -> Result:
        env = {"COLUMNS": str(columns), **env}
        # Rich fixes a console's width from COLUMNS when the module is imported (a
        # pytest-xdist worker has COLUMNS=80 then): size the CLI's consoles per call.
        for console in (cli_main.out, cli_main.err):
            console.width = columns
        return self.runner.invoke(cli_app, list(args), input=input, env=env,
                                  catch_exceptions=False)

    def json(self, *args: str, **env: str | None) -> Any:
        """The command's JSON output; it must succeed and print JSON only."""
        result = self(*args, "--json", **env)
        assert result.exit_code == 0, result.stderr + result.stdout
        return json.loads(result.stdout)


def exits_with(result: Result, code: int, *fragments: str) -> None:
    """Assert an exit code, a message on stderr and nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert result.stdout == ""


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def skills_root(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    root.mkdir()
    return root


ServeApi = Callable[..., TestClient]


@pytest.fixture
def serve_api(fake: FakeGateway, skills_root: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[ServeApi]:
    """Start the app (lifespan included) with these settings; the CLI talks to it."""
    clients: list[contextlib.ExitStack] = []  # the running apps, stopped after the test

    def serve(**settings: Any) -> TestClient:
        config = Settings(**{"temporal_address": "127.0.0.1:9", "skills_root": skills_root,
                             "api_keys": None, "api_keys_file": None,
                             "open_mode": "api_keys" not in settings, **settings})
        # Temporal is never called: the gateway is replaced, so any client object will do.
        app = create_app(config, client=cast(Client, object()))

        def gateway(request: Request) -> FakeGateway | StreamSide:
            """The stream route gets a side door: the fake tells clients' reads from its own."""
            return StreamSide(fake) if request.url.path.endswith("/events") else fake

        app.dependency_overrides[get_gateway] = gateway
        client = clients[0].enter_context(TestClient(app, client=("127.0.0.1", 50000)))
        monkeypatch.setattr("cli.main.ApiClient",
                            functools.partial(ApiClient, transport=AppTransport(client)))
        return client

    with contextlib.ExitStack() as stack:
        clients.append(stack)
        yield serve


@functools.cache
def click_command() -> Any:
    """The click command typer builds from the app: once, not per invocation."""
    return typer.main.get_command(cli_app)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A clean environment: the URL points at the test app; no key, no user."""
    for name in ("SKILL_FLEET_API_KEY", "SKILL_FLEET_API_KEY_FILE", "SKILL_FLEET_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKILL_FLEET_API_URL", API_URL)
    # CliRunner.invoke rebuilds the command from every signature each time (~25 ms, most of
    # an invocation); the build does not change between runs, so it is done once.
    monkeypatch.setattr(typer.testing, "_get_command", lambda app: click_command())
    return Cli(CliRunner())


@pytest.fixture
def cli(serve_api: ServeApi, runner: Cli) -> Cli:
    """The CLI against the API in open local mode (every caller an admin)."""
    serve_api()
    return runner


@pytest.fixture
def keyed_cli(serve_api: ServeApi, runner: Cli) -> Cli:
    """The CLI against an API with keys: KEY is alice (user), ADMIN_KEY is root (admin)."""
    keys = [{"key_sha256": hash_key(KEY), "user_id": "alice"},
            {"key_sha256": hash_key(ADMIN_KEY), "user_id": "root", "role": "admin"}]
    serve_api(api_keys=json.dumps(keys))
    return runner


@pytest.fixture
def api_client(serve_api: ServeApi) -> Iterator[ApiClient]:
    """The CLI's HTTP client itself, for the follow/answer code that takes one."""
    with ApiClient(API_URL, transport=AppTransport(serve_api())) as client:
        yield client
