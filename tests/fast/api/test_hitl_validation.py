"""Answers, rewinds and promotions: bad bodies are refused before the job is touched.

The workflow judges whether an answer fits its prompt (stale ids, unknown actions,
bad skill names: the integration layer); here, only what the API itself refuses.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, new_job_id

NUL = "\x00"


def _ids(value: object) -> str:
    return repr(value)[:40]


ANSWER_WRONG: list[tuple[dict[str, Any], str]] = [
    ({"action": "proceed"}, "prompt_id"),
    ({"prompt_id": "one"}, "prompt_id"),
    ({"prompt_id": 1.5}, "prompt_id"),
    ({"prompt_id": -1}, "prompt_id"),
    ({"prompt_id": 0}, "prompt_id"),
    ({"prompt_id": None}, "prompt_id"),
    ({"prompt_id": [1]}, "prompt_id"),
    ({"prompt_id": 1, "action": 1}, "action"),
    ({"prompt_id": 1, "action": None}, "action"),
    ({"prompt_id": 1, "action": ["proceed"]}, "action"),
    ({"prompt_id": 1, "action": "p" * 33}, "action"),
    ({"prompt_id": 1, "feedback": 3}, "feedback"),
    ({"prompt_id": 1, "feedback": "x" * 4001}, "feedback"),
    ({"prompt_id": 1, "feedback": NUL * 4001}, "feedback"),
    ({"prompt_id": 1, "feedback": f"Mention the{NUL} edge cases"}, "feedback"),
    ({"prompt_id": 1, "feedback": "bell\x07"}, "feedback"),
    ({"prompt_id": 1, "answers": ["subject"]}, "answers"),
    ({"prompt_id": 1, "answers": "subject=x"}, "answers"),
    ({"prompt_id": 1, "answers": {f"q{i}": i for i in range(21)}}, "answers"),
    ({"prompt_id": 1, "answers": {"subject": f"python{NUL}"}}, "answers"),
    ({"prompt_id": 1, "answers": {"topics": ["ok", f"bad{NUL}"]}}, "answers"),
    ({"prompt_id": 1, "answers": {"sub": {"deep": [f"bad{NUL}"]}}}, "answers"),
    ({"prompt_id": 1, "answers": {"sub": {f"key{NUL}": "ok"}}}, "answers"),
    ({"prompt_id": 1, "answers": {f"q{NUL}": "ok"}}, "answers"),
    ({"prompt_id": 1, "accept_suggestions": "maybe"}, "accept_suggestions"),
    ({"prompt_id": 1, "skill_name": 5}, "skill_name"),
    ({"prompt_id": 1, "skill_name": "s" * 65}, "skill_name"),
    ({"prompt_id": 1, "skill_name": f"a{NUL}b"}, "skill_name"),
    ({"prompt_id": 1, "description": "d" * 1025}, "description"),
    ({"prompt_id": 1, "description": "line\x1bescape"}, "description"),
    ({"prompt_id": 1, "response_id": ""}, "response_id"),
    ({"prompt_id": 1, "response_id": "r" * 129}, "response_id"),
    ({"prompt_id": 1, "response_id": 7}, "response_id"),
    ({"prompt_id": 1, "response_id": f"rid{NUL}{NUL}x"}, "response_id"),
    ({"prompt_id": 1, "surprise": True}, "surprise"),
    ({"prompt_id": 1, "wait_seconds": 5}, "wait_seconds"),
]


@pytest.mark.parametrize(("body", "field"), ANSWER_WRONG, ids=_ids)
async def test_bad_answers_are_422_and_change_nothing(
    api: Api, gateway: FakeGateway, body: dict[str, Any], field: str
) -> None:
    r = await api.http.post(f"{API}/hitl/{new_job_id()}/response", json=body)
    validation_error(r, field)
    assert gateway.calls == []


@pytest.mark.parametrize("wait", ["-1", "61", "nan", "inf", "-inf", "soon", "1e400"])
async def test_answer_wait_is_bounded(api: Api, gateway: FakeGateway, wait: str) -> None:
    r = await api.http.post(f"{API}/hitl/{new_job_id()}/response?wait={wait}",
                            json={"prompt_id": 1})
    validation_error(r, "wait")
    assert gateway.calls == []


@pytest.mark.parametrize("prompt_id", [2**31, 2**63, 10**30])
async def test_a_huge_prompt_id_goes_to_the_workflow_unchanged(
    api: Api, gateway: FakeGateway, prompt_id: int
) -> None:
    """The API has no upper bound: the workflow answers 'stale' (integration layer)."""
    r = await api.http.post(f"{API}/hitl/{new_job_id()}/response", json={"prompt_id": prompt_id})
    assert r.status_code == 200, r.text
    assert gateway.called("answer")[0]["response"].prompt_id == prompt_id


async def test_a_valid_answer_reaches_the_gateway_as_sent(api: Api,
                                                          gateway: FakeGateway) -> None:
    job_id = new_job_id()
    body = {"prompt_id": 3, "action": "revise", "feedback": "More\ttests,\nplease.",
            "answers": {"subject": "python", "examples": True, "n": 3, "topics": ["a", "b"]},
            "skill_name": "python-review", "description": "Reviews", "response_id": "r-1",
            "accept_suggestions": False}
    r = await api.http.post(f"{API}/hitl/{job_id}/response?wait=2.5", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["response_id"] == "r-1" and r.json()["job_id"] == job_id
    [call] = gateway.called("answer")
    assert call["job_id"] == job_id
    assert call["response"].model_dump(exclude_none=True) == {**body, "wait_seconds": 2.5}


async def test_an_answer_without_an_id_gets_one(api: Api, gateway: FakeGateway) -> None:
    """So a retry inside Temporal cannot apply it twice."""
    r = await api.http.post(f"{API}/hitl/{new_job_id()}/response", json={"prompt_id": 1})
    sent = gateway.called("answer")[0]["response"].response_id
    assert sent and len(sent) == 32 and r.json()["response_id"] == sent


REWIND_WRONG: list[tuple[Any, str]] = [
    ({}, "to"),
    ({"to": "the-end"}, "to"),
    ({"to": 3}, "to"),
    ({"to": "queued"}, "to"),
    ({"to": "generation", "edits": []}, "edits"),
    ({"to": "generation", "edits": {"outline": "x"}}, "outline"),
    ({"to": "generation", "edits": {"outline": ["x"] * 31}}, "outline"),
    ({"to": "generation", "edits": {"outline": ["ok", f"bad{NUL}"]}}, "outline"),
    ({"to": "generation", "edits": {"feedback": "x" * 4001}}, "feedback"),
    ({"to": "generation", "edits": {"feedback": f"a{NUL}b"}}, "feedback"),
    ({"to": "generation", "edits": {"description": "<script>alert(1)</script>"}},
     "description"),
    ({"to": "generation", "edits": {"description": ""}}, "description"),
    ({"to": "generation", "edits": {"description": f"d{NUL}"}}, "description"),
    ({"to": "generation", "edits": {"surprise": 1}}, "surprise"),
    ({"to": "generation", "surprise": 1}, "surprise"),
    *[({"to": "understanding", "edits": {"skill_name": name}}, "skill_name")
      for name in ("../../evil", "..", "a/b", "a\\b", ".hidden", "_drafts", "%2e%2e",
                   f"a{NUL}b", f"..{NUL}/x", "Upper-Case", "x" * 65, "-lead", "trail-")],
]


@pytest.mark.parametrize(("body", "field"), REWIND_WRONG, ids=_ids)
async def test_bad_rewinds_are_422_and_change_nothing(
    api: Api, gateway: FakeGateway, body: Any, field: str
) -> None:
    validation_error(await api.http.post(f"{API}/jobs/{new_job_id()}/rewind", json=body), field)
    assert gateway.calls == []


async def test_a_valid_rewind_reaches_the_gateway(api: Api, gateway: FakeGateway) -> None:
    body = {"to": "generation", "edits": {"skill_name": "sql-formatter", "outline": ["a"],
                                          "description": "Formats SQL", "feedback": "ok"}}
    r = await api.http.post(f"{API}/jobs/{new_job_id()}/rewind", json=body)
    assert r.status_code == 200 and r.json()["to"] == "generation"
    assert gateway.called("rewind")[0]["request"].model_dump() == body


@pytest.mark.parametrize(("body", "field"), [
    ({"overwrite": "perhaps"}, "overwrite"), ({"force": 1.5}, "force"),
    ({"delete_draft": []}, "delete_draft"), ({"surprise": True}, "surprise"),
    ({"admin": True}, "admin"), ({"requested_by": "root"}, "requested_by"), ([True], "body"),
], ids=_ids)
async def test_bad_promotions_are_422(api: Api, gateway: FakeGateway, body: Any,
                                      field: str) -> None:
    """`admin` and `requested_by` come from the key, never from the body."""
    validation_error(await api.http.post(f"{API}/drafts/{new_job_id()}/promote", json=body),
                     field)
    assert gateway.calls == []


async def test_skill_validate_body(api: Api) -> None:
    for body, field in (({}, "skill_path"), ({"skill_path": ""}, "skill_path"),
                        ({"skill_path": 3}, "skill_path"),
                        ({"skill_path": "a" * 1025}, "skill_path"),
                        ({"skill_path": "a", "extra": 1}, None)):
        r = await api.http.post(f"{API}/skills/validate", json=body)
        if field is None:  # extra fields are ignored here: the path decides
            error_body(r, 404)
        else:
            validation_error(r, field)
