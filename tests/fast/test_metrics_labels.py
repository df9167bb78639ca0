"""HTTP metrics are labelled by route template: callers cannot grow the series.

`/skills/{path:path}` takes any number of segments, and the label used to be rebuilt from
the raw path, so `/skills/a1/b1/c`, `/skills/a2/b2/c`... each became a series (401s too,
since auth runs after routing). Here 1,000 distinct paths, matched and unmatched, with and
without a key, must add only a handful of labels, every one a template of the app.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.metrics import HTTP_LATENCY, HTTP_REQUESTS, UNMATCHED_ROUTE, route_templates
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, KEYS, Api, bearer, make_settings, running_api
from tests.fast.api.samples import API

SKILLS_TEMPLATE = f"{API}/skills/{{path}}"


@pytest.fixture(scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    settings = make_settings(Path(tmp_path_factory.mktemp("skills")), api_keys=KEYS)
    async with running_api(settings, gateway=FakeGateway()) as running:
        yield running


def _series() -> set[tuple[str, ...]]:
    """(method, route, status) of every HTTP series (histogram buckets folded)."""
    return {(sample.labels["method"], sample.labels["route"], sample.labels["status"])
            for metric in (HTTP_REQUESTS, HTTP_LATENCY)
            for family in metric.collect() for sample in family.samples
            if {"method", "route", "status"} <= sample.labels.keys()}


def _requests_by_route() -> Counter[str]:
    counts: Counter[str] = Counter()
    for family in HTTP_REQUESTS.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                counts[sample.labels["route"]] += int(sample.value)
    return counts


def _paths(n: int) -> list[str]:
    """Distinct paths: deep library paths, job ids, unknown routes, odd characters."""
    shapes = [
        lambda i: f"{API}/skills/a{i}/b{i}/c{i}",
        lambda i: f"{API}/skills/x{i}",
        lambda i: f"{API}/jobs/{uuid.uuid4()}",
        lambda i: f"{API}/hitl/{uuid.uuid4()}/prompt",
        lambda i: f"{API}/jobs/not-a-job-{i}/events",
        lambda i: f"/nowhere/{i}/deeper",
        lambda i: f"{API}/skills/%2e%2e/{i}",
        lambda i: f"{API}/unknown-{i}",
    ]
    return [shapes[i % len(shapes)](i) for i in range(n)]


async def test_a_thousand_distinct_paths_add_a_bounded_label_set(app: Api) -> None:
    before, counted_before = _series(), _requests_by_route()
    paths = _paths(1000)
    assert len(set(paths)) == 1000
    for i, path in enumerate(paths):
        headers = bearer(ALICE) if i % 2 else {}
        await app.http.request("GET" if i % 3 else "POST", path, headers=headers)
    counted = _requests_by_route() - counted_before
    assert sum(counted.values()) == 1000  # every request counted, under few labels
    assert set(counted) <= set(route_templates(app.app)) | {UNMATCHED_ROUTE}, counted
    assert counted[SKILLS_TEMPLATE] >= 250 and counted[UNMATCHED_ROUTE] >= 250, counted
    added = _series() - before
    assert len(added) <= 40, sorted(added)


async def test_a_deep_library_path_is_labelled_by_its_template(app: Api) -> None:
    """With or without a key (401 before, 404 with): the template, never the path."""
    before = _series()
    await app.http.get(f"{API}/skills/deep/er/than/one/segment")
    await app.http.get(f"{API}/skills/deep/er/than/one/segment", headers=bearer(ALICE))
    routes = {labels[1] for labels in _series() - before}
    assert routes <= {SKILLS_TEMPLATE}
    assert all("deep" not in labels[1] for labels in _series())


def test_every_template_is_one_the_app_declares(app: Api) -> None:
    templates = route_templates(app.app)
    assert {f"{API}/jobs/{{job_id}}", "/health", f"{API}/health", "/metrics",
            SKILLS_TEMPLATE} <= set(templates)
    assert all("{" not in t or t.count("{") == t.count("}") for t in templates)
