"""The routes' own answers when the gateway succeeds: the controls for every refusal test,
and what the API adds itself (config from settings, health, draft lookups)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.settings import Settings
from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api, make_settings
from tests.fast.api.samples import API, job_view, new_job_id
from workflows.models import JobStatus


@pytest.fixture(scope="module")
def settings(skills_root: Path) -> Settings:
    return make_settings(skills_root, max_revisions=5, hitl_timeout_seconds=600,
                         on_hitl_timeout="proceed")


async def test_hitl_config_comes_from_the_code_and_settings(api: Api,
                                                            gateway: FakeGateway) -> None:
    config = (await api.http.get(f"{API}/hitl/config")).json()
    assert config["actions"] == ["proceed", "revise", "cancel"]
    assert config["aliases"] == {"refine": "revise"}
    checkpoints = config["checkpoints"]
    assert set(checkpoints) == {"clarify", "structure_fix", "confirm", "preview", "validate"}
    assert checkpoints["clarify"]["status_while_waiting"] == "pending_user_input"
    assert checkpoints["preview"]["actions"] == ["proceed", "revise", "cancel"]
    assert (config["max_revisions"], config["hitl_timeout_seconds"],
            config["on_hitl_timeout"]) == (5, 600, "proceed")
    assert gateway.calls == []


@pytest.mark.parametrize("path", ["/health", f"{API}/health"])
async def test_health_says_whether_temporal_answers(api: Api, gateway: FakeGateway,
                                                    path: str) -> None:
    r = await api.http.get(path)
    assert (r.status_code, r.json()) == (200, {"status": "ok", "temporal": "reachable"})
    gateway.is_healthy = False
    r = await api.http.get(path)
    assert (r.status_code, r.json()) == (503, {"status": "degraded", "temporal": "unreachable"})


async def test_job_prompt_and_cancel(api: Api, gateway: FakeGateway) -> None:
    view = gateway.view_result
    job = (await api.http.get(f"{API}/jobs/{view.job_id}")).json()
    assert job == view.model_dump(mode="json")
    prompt = (await api.http.get(f"{API}/hitl/{view.job_id}/prompt")).json()
    assert prompt == {"job_id": view.job_id, "status": "pending_hitl",
                      "prompt": view.prompt.model_dump(mode="json") if view.prompt else None}
    r = await api.http.post(f"{API}/jobs/{view.job_id}/cancel")
    assert (r.status_code, r.json()) == (202, {"job_id": view.job_id, "status": "cancelling"})


async def test_a_job_without_a_draft_says_why(api: Api, gateway: FakeGateway) -> None:
    job_id = new_job_id()
    gateway.view_result = job_view(job_id, status=JobStatus.RUNNING)
    body = error_body(await api.http.get(f"{API}/drafts/{job_id}"), 404)
    assert body["error"] == f"Job {job_id} has no draft (running)."
    gateway.view_result = job_view(job_id, status=JobStatus.COMPLETED, promoted=True)
    body = error_body(await api.http.get(f"{API}/drafts/{job_id}"), 404)
    assert "promoted and draft deleted" in body["error"]


async def test_a_draft_outside_the_jobs_folder_is_not_served(api: Api, gateway: FakeGateway,
                                                             skills_root: Path) -> None:
    """The path comes from the workflow; the API still checks it names this job's folder."""
    job_id, other = new_job_id(), new_job_id()
    (skills_root / "_drafts" / other / "dev" / "x").mkdir(parents=True)
    (skills_root / "_drafts" / other / "dev" / "x" / "SKILL.md").write_text("secret")
    for draft_path in (f"_drafts/{other}/dev/x", "../../etc", "/etc"):
        gateway.view_result = job_view(job_id, status=JobStatus.COMPLETED, draft_path=draft_path)
        r = await api.http.get(f"{API}/drafts/{job_id}")
        assert "not under this server's skills root" in error_body(r, 404)["error"]
        assert "secret" not in r.text


async def test_a_draft_is_served_with_paths_relative_to_the_root(
    api: Api, gateway: FakeGateway, skills_root: Path
) -> None:
    job_id = new_job_id()
    folder = skills_root / "_drafts" / job_id / "dev" / "x"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text("---\nname: x\n---\nbody\n")
    gateway.view_result = job_view(job_id, status=JobStatus.COMPLETED,
                                   draft_path=f"_drafts/{job_id}/dev/x",
                                   final_path=str(skills_root / "dev" / "x"))
    draft = (await api.http.get(f"{API}/drafts/{job_id}")).json()
    assert draft["draft_path"] == f"_drafts/{job_id}/dev/x"
    assert draft["skill_md"] == "---\nname: x\n---\nbody\n"
    assert draft["final_path"] == "dev/x"  # an old absolute path, shown relative
