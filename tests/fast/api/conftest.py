"""Fixtures of the fast API layer: the real app in-process, one boundary stubbed.

`api` / `secured` swap the whole JobGateway for a FakeGateway (routes, validation, auth,
error shapes). `real_api` / `secured_real` keep the real gateway and stub Temporal's
client instead, for what the gateway itself decides. No server, no subprocess.

Apps (and their settings) live for a module, gateways and stubs for a test: a module
that needs other settings overrides the module-scoped `settings` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from common.settings import Settings
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import KEYS, Api, app_fixture, make_settings, running_api
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


api = app_fixture("open_app")
secured = app_fixture("keyed_app")
real_api = app_fixture("open_app", "temporal")
secured_real = app_fixture("keyed_app", "temporal")
