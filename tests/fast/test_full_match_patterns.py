"""Every input pattern matches the whole value: a trailing newline is refused everywhere.

Python's `$` also matches before a final "\\n", so `re.match(r"^[a-z]+$", "victim\\n")`
succeeds and "victim\\n" became a folder that lists as `victim`. Here: each guard refuses
such a value (directly, and over HTTP in-process), and no Python pattern in our packages
ends in a bare `$` again. Pydantic field patterns run on Rust's regex, where `$` is the
end of the text; they are checked by behaviour below.
"""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from api.auth import ApiKeyEntry
from api.errors import ApiError
from api.event_stream import resume_point
from api.metrics import job_id_in
from api.schemas import CreateJobRequest
from skill_store.library import list_skills
from skill_store.paths import (
    UnsafePathError,
    check_job_id,
    check_relative_path,
    check_taxonomy_path,
)
from tests.fast.api.checks import error_body, validation_error
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api, make_settings, running_api
from tests.fast.api.samples import API, NOW, TASK, job_view
from tests.fast.api.temporal_stub import StubTemporal
from tests.fast.cli.fakes import (
    JOB_ID as SCRIPTED_JOB,
    FakeGateway as ScriptedJobs,
    FakeJob,
    Step,
    make_prompt,
    make_view,
)
from workflows.hitl import SKILL_NAME_PATTERN, allowed_actions, answer_schema, check_response
from workflows.models import (
    HitlPrompt,
    HitlResponse,
    HitlType,
    JobStatus,
    Phase,
    RewindEdits,
)

ROOT = Path(__file__).parents[2]
PACKAGES = ("workflows", "activities", "api", "common", "cli")
JOB = str(uuid.uuid4())
SKILL_MD = '---\nname: "victim"\ndescription: "Does things. Use when asked."\n---\n# V\n'


def _structure_fix_prompt() -> HitlPrompt:
    actions = allowed_actions(HitlType.STRUCTURE_FIX, revisions_left=0)
    return HitlPrompt(
        prompt_id=1, type=HitlType.STRUCTURE_FIX, phase=Phase.UNDERSTANDING, created_at=NOW,
        deadline=NOW, actions=actions,
        answer_schema=answer_schema(HitlType.STRUCTURE_FIX, {}, actions))


# ----------------------------------------------------------------------- the guards


@pytest.mark.parametrize("path", ["victim\n", "development/victim\n", "development\n/victim"])
def test_taxonomy_paths_refuse_a_trailing_newline(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_taxonomy_path(path)


def test_job_ids_refuse_a_trailing_newline() -> None:
    assert check_job_id(JOB) == JOB
    with pytest.raises(UnsafePathError):
        check_job_id(JOB + "\n")


@pytest.mark.parametrize("path", ["development/victim\n", "development\n/victim"])
def test_library_paths_refuse_a_trailing_newline(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative_path(path)


def test_a_folder_with_a_newline_is_not_listed(tmp_path: Path) -> None:
    for name in ("victim", "victim\n"):
        (tmp_path / "development" / name).mkdir(parents=True)
        (tmp_path / "development" / name / "SKILL.md").write_text(SKILL_MD)
    assert [e.path for e in list_skills(tmp_path)] == ["development/victim"]


def test_the_answer_schema_refuses_a_trailing_newline() -> None:
    prompt = _structure_fix_prompt()
    ok = HitlResponse(prompt_id=1, action="proceed", skill_name="victim")
    assert check_response(prompt, ok, answer_pending=False) is None
    bad = HitlResponse(prompt_id=1, action="proceed", skill_name="victim\n")
    refusal = check_response(prompt, bad, answer_pending=False)
    assert refusal is not None and refusal.kind == "invalid_answer"
    assert "skill_name" in refusal.message


def test_the_published_pattern_means_the_same_in_python_and_ecma() -> None:
    """Clients validate the prompt's schema with ECMA-262 regexes; the worker with Python's."""
    schema = {"type": "string", "pattern": SKILL_NAME_PATTERN}
    jsonschema.validate("victim", schema)
    for bad in ("victim\n", "victim\r\n", "\nvictim", "Victim", "victim-"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


@pytest.mark.parametrize(("model", "field", "base"), [
    (RewindEdits, "skill_name", {}),
    (CreateJobRequest, "user_id", {"task_description": TASK}),
    (ApiKeyEntry, "user_id", {"key_sha256": "0" * 64}),
    (ApiKeyEntry, "key_sha256", {"user_id": "alice"}),
], ids=lambda v: getattr(v, "__name__", v if isinstance(v, str) else ""))
def test_pydantic_patterns_refuse_a_trailing_newline(
        model: type[BaseModel], field: str, base: dict[str, Any]) -> None:
    good = {"skill_name": "victim", "user_id": "alice", "key_sha256": "0" * 64}[field]
    model.model_validate({**base, field: good})
    with pytest.raises(ValidationError):
        model.model_validate({**base, field: good + "\n"})


def test_event_seqs_and_job_ids_in_paths_are_whole() -> None:
    assert resume_point("7", None, 0) == 7
    with pytest.raises(ApiError):
        resume_point(None, "7\n8", 0)
    assert job_id_in(f"/api/v2/jobs/{JOB}") == JOB
    assert job_id_in(f"/api/v2/jobs/{JOB}\n") is None


def _regex_literals(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """String patterns given to `re.compile/match/search/fullmatch` (first argument)."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.func.attr in {"compile", "match", "search", "fullmatch"}
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def test_no_python_pattern_ends_in_a_bare_dollar() -> None:
    """`$` before a final newline is the bug; `\\Z` or `fullmatch` mean the end."""
    offenders = []
    for package in PACKAGES:
        for source in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(source.read_text())
            offenders += [f"{source.relative_to(ROOT)}:{line}: {pattern!r}"
                          for line, pattern in _regex_literals(tree)
                          if pattern.endswith("$") or "$)" in pattern or "$|" in pattern]
    assert offenders == []


# ------------------------------------------------------------------------ over HTTP


@pytest.fixture(scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with running_api(make_settings(tmp_path_factory.mktemp("skills"))) as running:
        yield running


@pytest.fixture
def gateway(app: Api) -> FakeGateway:
    fake = FakeGateway(view_result=job_view(JOB, status=JobStatus.PENDING_USER_INPUT))
    app.use_fake(fake)
    return fake


async def test_create_refuses_a_user_id_with_a_newline(app: Api, gateway: FakeGateway) -> None:
    r = await app.http.post(f"{API}/skills/create",
                            json={"task_description": TASK, "user_id": "alice\n"})
    validation_error(r, "user_id")
    assert gateway.called("start") == []


async def test_an_answer_with_a_newline_in_the_name_is_422(app: Api) -> None:
    """Judged by the workflow's own `check_response`, as a real job would judge it."""
    jobs = ScriptedJobs()
    prompt = make_prompt(HitlType.STRUCTURE_FIX)
    jobs.add(FakeJob([Step(make_view(prompt=prompt)), Step(make_view())]))
    app.use_fake(jobs)  # type: ignore[arg-type]
    body = {"prompt_id": prompt.prompt_id, "action": "proceed", "skill_name": "victim\n"}
    r = await app.http.post(f"{API}/hitl/{SCRIPTED_JOB}/response", json=body)
    assert "Answer does not fit the prompt: skill_name" in error_body(r, 422)["error"]
    assert jobs.answers == []
    body["skill_name"] = "victim"
    r = await app.http.post(f"{API}/hitl/{SCRIPTED_JOB}/response", json=body)
    assert r.status_code == 200, r.text
    assert [a.skill_name for a in jobs.answers] == ["victim"]


async def test_a_rewind_with_a_newline_in_the_name_is_422(
        app: Api, gateway: FakeGateway) -> None:
    body = {"to": "understanding", "edits": {"skill_name": "victim\n"}}
    validation_error(await app.http.post(f"{API}/jobs/{JOB}/rewind", json=body), "skill_name")
    assert gateway.called("rewind") == []


@pytest.mark.parametrize(("method", "route", "body"), [
    ("POST", "/drafts/{}/promote", b'{"overwrite": false}'),
    ("POST", "/hitl/{}/response", b'{"prompt_id": 1}'),
    ("POST", "/jobs/{}/rewind", b'{"to": "understanding"}'),
    ("GET", "/jobs/{}", b""),
    ("GET", "/skills/development/victim{}", b""),
    ("POST", "/skills/create{}", json.dumps({"task_description": TASK}).encode()),
])
@pytest.mark.parametrize("line_break", ["%0A", "%0D", "%0D%0A"])
async def test_a_path_with_a_line_break_is_refused_before_anything_runs(
        app: Api, method: str, route: str, body: bytes, line_break: str) -> None:
    """Starlette's route patterns end in `$`: `/skills/dev/victim%0A` read `dev/victim`."""
    temporal = StubTemporal()
    app.use_real(temporal)
    target = (API + route.format((JOB if "{}/" in route else "") + line_break)).encode()
    headers = [(b"content-type", b"application/json")] if body else []
    r = await app.raw(method, target, body=body, headers=headers)
    assert error_body(r, 400)["details"] == {"reason": "UnsafePath"}
    assert temporal.calls == []


async def test_a_library_path_with_a_newline_is_unsafe(app: Api, gateway: FakeGateway) -> None:
    r = await app.http.post(f"{API}/skills/validate",
                            json={"skill_path": "development/victim\n"})
    assert error_body(r, 400)["details"] == {"reason": "UnsafePath"}


@pytest.mark.parametrize("query", ["user_id=alice%0A", "assignee=alice%0A"])
async def test_query_patterns_refuse_a_newline(app: Api, gateway: FakeGateway,
                                               query: str) -> None:
    route = "/jobs" if query.startswith("user_id") else "/hitl/pending"
    error_body(await app.http.get(f"{API}{route}?{query}"), 422)
    assert gateway.calls == []


def test_the_validator_name_rule_refuses_a_trailing_newline() -> None:
    from skill_format import name_issues

    assert name_issues("victim\n")
    assert not name_issues("victim")
