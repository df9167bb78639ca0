"""`skill-fleet api --workers N`: N uvicorn workers, whose /metrics share one directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from api.metrics_dir import MULTIPROC_DIR
from cli.main import app
from common.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> Any:
    """The command caches settings read from this test's environment: not for the next."""
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(("args", "env", "workers"), [
    (["--workers", "2"], {}, 2), ([], {"SKILL_FLEET_API_WORKERS": "3"}, 3), ([], {}, 1)])
def test_workers_reach_uvicorn_with_a_shared_metrics_dir(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], workers: int
) -> None:
    seen: dict[str, Any] = {}

    def run(target: str, **options: Any) -> None:
        seen.update(options, target=target, metrics_dir=os.environ.get(MULTIPROC_DIR))
        if seen["metrics_dir"]:
            assert Path(seen["metrics_dir"]).is_dir()

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.delenv(MULTIPROC_DIR, raising=False)
    for name in ("SKILL_FLEET_API_WORKERS", "SKILL_FLEET_API_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"SKILL_FLEET_OPEN_MODE": "1", **env}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["api", *args])
    assert result.exit_code == 0, result.output
    if workers == 1:  # one process: the app is built here, from the flags
        assert not isinstance(seen["target"], str) and "workers" not in seen
    else:  # uvicorn imports the app in each worker process
        assert (seen["target"], seen["workers"]) == ("api.app:app", workers)
    assert bool(seen["metrics_dir"]) == (workers > 1)
    assert MULTIPROC_DIR not in os.environ  # removed with its directory after the run
    if seen["metrics_dir"]:
        assert not Path(seen["metrics_dir"]).exists()


def test_zero_workers_is_refused() -> None:
    result = CliRunner().invoke(app, ["api", "--workers", "0"])
    assert result.exit_code == 2
