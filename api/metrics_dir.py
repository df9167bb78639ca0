"""Where several API worker processes keep their Prometheus series, so /metrics sums them.

Imported by `skill-fleet api` before uvicorn starts its workers: light on purpose (no app,
no Temporal), since the parent process only supervises.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

# prometheus_client's multiprocess mode: each process writes its series to files there.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_metrics_dir(workers: int) -> Iterator[None]:
    """A fresh directory for this run's series when there are several workers (unless
    PROMETHEUS_MULTIPROC_DIR names one already, as the compose file's tmpfs does). Set
    before the workers start: prometheus_client picks its mode at import."""
    if workers == 1 or os.environ.get(MULTIPROC_DIR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="skill-fleet-metrics-") as path:
        os.environ[MULTIPROC_DIR] = path
        try:
            yield
        finally:
            del os.environ[MULTIPROC_DIR]
