"""Reviewer edits over HTTP: the documented fields, who the author is, and each refusal as 422.

Whether an edit fits its prompt is the workflow's judgement (`workflows.hitl.check_response`,
run here on real prompts); the API documents the fields, refuses what is malformed before
the job is touched, names the caller as the author, and passes a refusal on as 422.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, Api, bearer
from tests.fast.api.samples import API, NOW, job_view, new_job_id
from tests.fast.api.temporal_stub import StubTemporal
from workflows.hitl import allowed_actions, answer_schema, check_response
from workflows.models import HitlPrompt, HitlResponse, HitlType, Phase

NUL = "\x00"
SUMMARY = {"skill_name": "ticket-triage", "taxonomy_path": "support/ticket-triage"}


async def test_the_openapi_answer_schema_shows_the_edit_fields(api: Api) -> None:
    schema = (await api.http.get("/openapi.json")).json()
    props = schema["components"]["schemas"]["AnswerRequest"]["properties"]
    assert {"skill_name", "description", "category", "outline", "skill_md", "files"} <= set(props)
    assert "answered_by" not in props  # who answers comes from the key
    assert "preview" in props["skill_md"]["description"]
    assert "confirm" in props["category"]["description"]


EDIT_WRONG: list[tuple[dict[str, Any], str]] = [
    ({"category": 7}, "category"),
    ({"category": f"devops{NUL}"}, "category"),
    ({"outline": "When to Use"}, "outline"),
    ({"outline": ["x"] * 31}, "outline"),
    ({"outline": [f"a{NUL}"]}, "outline"),
    ({"skill_md": 3}, "skill_md"),
    ({"skill_md": "x" * 200_001}, "skill_md"),
    ({"skill_md": f"---{NUL}"}, "skill_md"),
    ({"files": ["references/a.md"]}, "files"),
    ({"files": {f"f{i}": "x" for i in range(31)}}, "files"),
    ({"files": {"a.md": 5}}, "files"),
    ({"files": {"a.md": "bell\x07"}}, "files"),
    ({"files": {f"a{NUL}.md": "x"}}, "files"),
    ({"answered_by": "mallory"}, "answered_by"),
]


@pytest.mark.parametrize(("edit", "field"), EDIT_WRONG, ids=lambda v: repr(v)[:30])
async def test_malformed_edits_are_422_before_the_job(
    api: Api, gateway: FakeGateway, edit: dict[str, Any], field: str
) -> None:
    body = {"prompt_id": 1, "action": "proceed", **edit}
    validation_error(await api.http.post(f"{API}/hitl/{new_job_id()}/response", json=body),
                     field)
    assert gateway.calls == []


async def test_the_caller_is_the_author_of_an_edit(
    secured_real: Api, temporal: StubTemporal
) -> None:
    job_id = temporal.add(job_view(user_id="alice")).view.job_id
    body = {"prompt_id": 1, "action": "revise", "skill_name": "route-tickets",
            "category": "devops", "outline": ["When to Use"]}
    r = await secured_real.http.post(f"{API}/hitl/{job_id}/response", json=body,
                                     headers=bearer(ALICE))
    assert r.status_code == 200, r.text
    [(_, _, _, sent)] = [c for c in temporal.calls if c[0] == "update"]
    assert isinstance(sent, HitlResponse)
    assert (sent.answered_by, sent.skill_name, sent.category) == ("alice", "route-tickets",
                                                                  "devops")


def _prompt(hitl_type: HitlType, data: dict[str, Any]) -> HitlPrompt:
    actions = allowed_actions(hitl_type, revisions_left=3)
    return HitlPrompt(prompt_id=1, type=hitl_type, phase=Phase.UNDERSTANDING, created_at=NOW,
                      deadline=NOW + timedelta(hours=1), actions=actions, revisions_left=3,
                      answer_schema=answer_schema(hitl_type, data, actions), data=data)


REFUSED: list[tuple[HitlType, dict[str, Any], str]] = [
    (HitlType.CONFIRM, {"skill_name": "Bad_Name"}, "skill_name"),
    (HitlType.CONFIRM, {"category": "cooking"}, "category"),
    (HitlType.CONFIRM, {"outline": ["## Steps"]}, "outline/0"),
    (HitlType.PREVIEW, {"files": {"../x.md": "x"}}, "files"),
    (HitlType.PREVIEW, {"files": {"SKILL.md": "x"}}, "files"),
    (HitlType.PREVIEW, {"files": {"references": "x", "references/a.md": "y"}},
     "files/references"),
]


@pytest.mark.parametrize(("hitl_type", "edit", "field"), REFUSED, ids=lambda v: repr(v)[:30])
async def test_an_edit_the_prompt_refuses_is_422_naming_the_field(
    real_api: Api, temporal: StubTemporal, hitl_type: HitlType, edit: dict[str, Any],
    field: str
) -> None:
    data = ({"summary": SUMMARY} if hitl_type is HitlType.CONFIRM
            else {"content": "---\nname: x\n---\n", "files": []})
    prompt = _prompt(hitl_type, data)
    refusal = check_response(prompt, HitlResponse(prompt_id=1, action="revise", **edit),
                             answer_pending=False)
    assert refusal is not None and refusal.kind == "invalid_answer"
    # what the workflow's update validator raises for it, as Temporal hands it back
    temporal.fail["update"] = WorkflowUpdateFailedError(
        ApplicationError(refusal.message, type=refusal.kind, non_retryable=True))
    job_id = temporal.add(job_view(waiting=prompt)).view.job_id
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response",
                                 json={"prompt_id": 1, "action": "revise", **edit})
    message = error_body(r, 422)["error"]
    assert f"{field}:" in message, message
