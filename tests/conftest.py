"""Shared fixtures: one real stack (Temporal dev server, worker, API) for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LocalStack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s


@pytest.fixture(scope="session")
def api_url(stack: LocalStack) -> str:
    return f"http://127.0.0.1:{stack.api_ports[0]}"


@pytest.fixture
def http(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A private stack for tests that kill or restart processes."""
    s = LocalStack(tmp_path)
    try:
        yield s
    finally:
        s.stop()
