"""Fixtures of the fast API layer: the real app in-process, one boundary stubbed.

`api` / `secured` swap the whole JobGateway for a FakeGateway (routes, validation, auth,
error shapes). `real_api` / `secured_real` keep the real gateway and stub Temporal's
client instead, for what the gateway itself decides. No server, no subprocess.

Apps (and their settings) live for a module, gateways and stubs for a test: a module
that needs other settings overrides the module-scoped `settings` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from common.settings import Settings
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import KEYS, Api, make_settings, running_api
from tests.fast.api.temporal_stub import StubTemporal


@pytest.fixture(scope="module")
def skills_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("skills")


@pytest.fixture(scope="module")
def settings(skills_root: Path) -> Settings:
    """Open local mode (no keys, SKILL_FLEET_OPEN_MODE=1): every caller is an admin."""
    return make_settings(skills_root)


@pytest.fixture(scope="module")
def keyed_settings(skills_root: Path) -> Settings:
    """Three keys (alice, bob: users; root: admin) and a small body limit."""
    return make_settings(skills_root, api_keys=KEYS, max_body_bytes=20_000,
                         max_active_jobs_per_user=3)


@pytest.fixture(scope="module")
async def open_app(settings: Settings) -> AsyncIterator[Api]:
    async with running_api(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def keyed_app(keyed_settings: Settings) -> AsyncIterator[Api]:
    async with running_api(keyed_settings) as running:
        yield running


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def temporal() -> StubTemporal:
    return StubTemporal()


@pytest.fixture
def api(open_app: Api, gateway: FakeGateway) -> Iterator[Api]:
    open_app.use_fake(gateway)
    yield open_app


@pytest.fixture
def secured(keyed_app: Api, gateway: FakeGateway) -> Iterator[Api]:
    keyed_app.use_fake(gateway)
    yield keyed_app


@pytest.fixture
def real_api(open_app: Api, temporal: StubTemporal) -> Iterator[Api]:
    open_app.use_real(temporal)
    yield open_app


@pytest.fixture
def secured_real(keyed_app: Api, temporal: StubTemporal) -> Iterator[Api]:
    keyed_app.use_real(temporal)
    yield keyed_app
