"""Clients' reads of a running job send no describe while it has not changed, and see each
change: one made through this API process at once, one made elsewhere (another API process,
the worker) as soon as Temporal pushes it (`api.job_watch`, issue 27).

The real stack: Temporal dev server, worker, and a second API process beside the session's.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import API, LocalStack, answer, create_job, get_job, wait_job, wait_prompt

TASK = "Summarise a pull request's review comments into a checklist for its author"


def counter(url: str, name: str) -> float:
    """One of the API process's counters (`GET /metrics`)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    [line] = [x for x in text.splitlines() if x.startswith(f"skill_fleet_{name}_total ")]
    return float(line.split()[-1])


def describes(url: str) -> float:
    """Describe calls the API process sent to Temporal."""
    return counter(url, "temporal_describes")


@pytest.fixture
def other_api(stack: LocalStack) -> Iterator[httpx.Client]:
    """A second API process on the session's stack, stopped after the test."""
    proc, url = stack.spawn_api(None, {}, name="api-watch")
    try:
        stack.wait_api(proc, url)
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
    finally:
        proc.stop()
        stack.api_ports.pop(stack.apis.index(proc))
        stack.apis.remove(proc)


def test_reads_are_served_by_the_watch_until_the_job_changes(
        http: httpx.Client, api_url: str, other_api: httpx.Client) -> None:
    job_id = create_job(http, TASK, enable_hitl_confirm=True, enable_hitl_preview=True,
                        enable_hitl_review=True)
    confirm = wait_prompt(http, job_id, "confirm")
    get_job(http, job_id)  # the watch holds the job as the prompt left it

    before, watched = describes(api_url), counter(api_url, "watched_reads")
    for _ in range(10):
        assert get_job(http, job_id)["prompt"]["prompt_id"] == confirm["prompt_id"]
    assert describes(api_url) == before  # ten reads of an unchanged job: no describe
    assert counter(api_url, "watched_reads") == watched + 10

    # A change through another API process reaches this one's readers by the watch.
    r = other_api.post(f"{API}/hitl/{job_id}/response", params={"wait": 30},
                       json={"prompt_id": confirm["prompt_id"], "action": "proceed"})
    assert r.status_code == 200, r.text
    preview = r.json()["prompt"]
    assert preview["type"] == "preview"
    seen = wait_job(http, job_id, lambda j: (j.get("prompt") or {}).get("prompt_id")
                    == preview["prompt_id"], timeout=10, what="the other process's answer")
    assert seen["current_phase"] == "generation"
    assert describes(api_url) > before

    # A write through this process is read by the next request, with no wait.
    r = answer(http, job_id, preview["prompt_id"], action="proceed")
    assert r.status_code == 200, r.text
    after = get_job(http, job_id)
    assert (after.get("prompt") or {}).get("prompt_id") != preview["prompt_id"]

    # A cancel elsewhere ends the run; a closed run is described at each read.
    assert other_api.post(f"{API}/jobs/{job_id}/cancel").status_code == 202
    wait_job(http, job_id, lambda j: j["status"] == "cancelled", timeout=10,
             what="the other process's cancel")
    before = describes(api_url)
    for _ in range(3):
        assert get_job(http, job_id)["status"] == "cancelled"
    assert describes(api_url) == before + 3
