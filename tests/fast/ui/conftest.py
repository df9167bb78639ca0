"""The real app in-process with the reviewer page, one boundary stubbed (as tests/fast/api).

`keyed` runs with three API keys (alice, bob: users; root: admin) read from a keys file
that is re-read on every request, so a test can revoke a key; `open_ui` runs in open
local mode. Each test gets a fresh browser-like client (its own cookies) on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.keys_reload import ReloadingApiKeys
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import KEYS, Api, app_fixture, make_settings, running_api
from tests.fast.api.temporal_stub import StubTemporal
from tests.fast.ui.fakes import UiFakeGateway


@pytest.fixture(scope="module")
async def keyed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    root = tmp_path_factory.mktemp("ui")
    keys_file = root / "keys.json"
    keys_file.write_text(KEYS)
    settings = make_settings(root, api_keys_file=keys_file, ui_session_secret="s" * 32,
                             temporal_ui_url="http://127.0.0.1:8233")
    async with running_api(settings) as api:
        api.app.state.api_keys = ReloadingApiKeys(settings, interval=0)  # see revocation
        yield api


@pytest.fixture(scope="module")
async def open_ui(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    settings = make_settings(tmp_path_factory.mktemp("ui-open"), open_mode=True)
    async with running_api(settings) as api:
        yield api


def keys_file(api: Api) -> Path:
    assert api.settings.api_keys_file is not None
    return Path(api.settings.api_keys_file)


@pytest.fixture
def gateway() -> FakeGateway:
    return UiFakeGateway()


@pytest.fixture
def ui(keyed: Api, gateway: FakeGateway) -> Iterator[Api]:
    keyed.use_fake(gateway)
    keys_file(keyed).write_text(KEYS)
    yield keyed


open_page = app_fixture("open_ui")


@pytest.fixture
def temporal() -> StubTemporal:
    return StubTemporal()


@pytest.fixture
async def browser(keyed: Api) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar, as a browser on this machine."""
    transport = httpx.ASGITransport(app=keyed.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
async def open_browser(open_ui: Api) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=open_ui.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client
