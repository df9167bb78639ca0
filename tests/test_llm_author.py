"""The LLM author against a real local OpenAI-compatible HTTP server with scripted replies.

The fake server is the only stand-in: the real pydantic-ai/OpenAI client talks HTTP to it,
and the end-to-end tests run a real Temporal server, worker and API.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import skills_ref
from temporalio.exceptions import ApplicationError

from activities.authors import make_author
from activities.llm_author import LlmAuthor
from activities.offline_author import OfflineAuthor
from common.settings import Settings
from skill_format import parse_frontmatter, validate_content
from skill_format.models import SkillContent
from tests.loopback_server import LoopbackServer, QuietHandler
from tests.support import LocalStack, create_job, wait_status
from workflows.models import GenerateInput, Understanding, UnderstandInput

SECRET = "sk-test-SECRET-0123456789abcdef"
TASK = "Write commit messages for git repositories following the conventional commits format"

PLAN: dict[str, Any] = {
    "domain": "git commit messages",
    "category": "development",
    "topics": ["git", "commit", "conventional commits", "commit message"],
    "example_requests": [
        "Write a commit message for my staged git changes",
        "Turn this git diff into a conventional commit message",
        "Rewrite my commit message 'fixed stuff' in conventional commits format",
        "What commit type should I use for this refactor commit?",
    ],
    "near_misses": ["Explain how git rebase works internally", "Tell me a joke about cats"],
    "skill_name": "writing-commit-messages",
    "description": (
        "Writes git commit messages that follow the Conventional Commits format: a type, an "
        "optional scope, an imperative summary, a body and footers, from staged changes or a "
        "diff. Use when the user asks to write, fix or review a commit message, mentions "
        "conventional commits, or wants to commit staged git changes."
    ),
    "taxonomy_path": "development/writing-commit-messages",
    "outline": ["When to Use", "Instructions", "Examples", "Edge Cases"],
    "resources": [{"path": "references/commit-types.md", "purpose": "The commit types"}],
    "success_criteria": ["The summary line is at most 72 characters.",
                         "The type matches the change."],
    "constraints": [],
    "assumptions": ["The repository uses git."],
    "ambiguities": [],
    "questions": [],
}

SKILL: dict[str, Any] = {
    "title": "Writing Commit Messages",
    "overview": "Turns staged git changes into a Conventional Commits message.",
    "when_to_use": ["The user asks for a commit message for staged changes or a diff.",
                    "The user wants a commit message fixed to follow conventional commits."],
    "when_not_to_use": ["Questions about how git itself works."],
    "instructions": [
        "Run `git diff --staged` and read the whole change.",
        "Pick the type from [references/commit-types.md](references/commit-types.md).",
        "Write an imperative summary of at most 72 characters:\n\n"
        "```\nfeat(api): add job list\n```",
        "Add a body explaining why, and footers such as `BREAKING CHANGE:` when needed.",
    ],
    "examples": [{"input": "Write a commit message for this diff adding a /jobs endpoint.",
                  "output": "feat(api): add /jobs endpoint\n\nLists jobs with paging."}],
    "edge_cases": ["Mixed changes: suggest splitting the commit.",
                   "Empty diff: say there is nothing staged."],
    "files": [{"path": "references/commit-types.md", "purpose": "Which type fits which change",
               "content": "# Commit types\n\n- feat: a new feature\n- fix: a bug fix\n"}],
}


class FakeLlm(LoopbackServer):
    """A small OpenAI-compatible server: POST /v1/chat/completions with scripted replies.

    `behaviour` is "ok" (answer the output tool with `plan` or `skill`, chosen by the tool's
    schema), "malformed" (invalid tool-call JSON), "slow", or an HTTP status to fail with.
    """

    def __init__(self) -> None:
        self.behaviour: str | int = "ok"
        self.plan = copy.deepcopy(PLAN)
        self.skill = copy.deepcopy(SKILL)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with fake._lock:
                    fake.requests.append(body)
                    fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                status, reply = fake.reply(body)
                self._send(status, reply)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        super().__init__(Handler, "/v1", poll_interval=0.05)

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        if isinstance(b, int):
            message = f"Incorrect API key provided: {SECRET}" if b == 401 else f"scripted {b}"
            return b, {"error": {"message": message, "type": "invalid_request_error",
                                 "code": "invalid_api_key" if b == 401 else None}}
        if b == "slow":
            time.sleep(3)
        tool = body["tools"][0]["function"]
        props = tool["parameters"]["properties"]
        answer = self.plan if "skill_name" in props else self.skill
        arguments = "{not json" if b == "malformed" else json.dumps(answer)
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{len(self.requests)}", "type": "function",
             "function": {"name": tool["name"], "arguments": arguments}}]}
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def prompt_text(self, index: int = -1) -> str:
        return "\n".join(str(m.get("content")) for m in self.requests[index]["messages"])


@pytest.fixture
def fake() -> Iterator[FakeLlm]:
    with FakeLlm() as server:
        yield server


def author_for(fake: FakeLlm, timeout: float = 10.0) -> LlmAuthor:
    return LlmAuthor("openai:test-model", base_url=fake.url, api_key=SECRET,
                     timeout_seconds=timeout)


async def failure(coro: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await coro
    return info.value


# --------------------------------------------------------------------------- (a) happy path


async def test_understand_and_generate_make_a_valid_skill(fake: FakeLlm, tmp_path: Path) -> None:
    author = author_for(fake)
    plan = await author.understand(UnderstandInput(task_description=TASK))
    assert plan.skill_name == "writing-commit-messages"
    assert plan.taxonomy_path == "development/writing-commit-messages"
    assert len(plan.example_requests) == 4 and len(plan.near_misses) == 2
    assert plan.questions == []
    first = fake.requests[0]
    assert first["model"] == "test-model" and first["stream"] is False
    assert fake.headers[0]["authorization"] == f"Bearer {SECRET}"
    assert fake.headers[0]["x-stainless-retry-count"] == "0"
    system = first["messages"][0]["content"]
    assert "near-misses" in system and "Use when" in system and "kebab-case" in system
    assert TASK in fake.prompt_text(0)

    content = await author.generate(GenerateInput(task_description=TASK, plan=plan))
    fm = parse_frontmatter(content.skill_md)
    assert fm["name"] == plan.skill_name and fm["description"] == plan.description
    assert set(fm) <= {"name", "description", "metadata"}
    assert all(isinstance(v, str) for v in fm["metadata"].values())
    assert content.files == {"references/commit-types.md": SKILL["files"][0]["content"]}
    for heading in ("## When to Use", "## Instructions", "## Examples", "## Edge Cases"):
        assert heading in content.skill_md
    assert "(references/commit-types.md)" in content.skill_md

    report = validate_content(plan.skill_name, content, example_requests=plan.example_requests,
                              near_misses=plan.near_misses)
    # The canned answer is a valid skill (its quality is the validator's tests' business).
    assert not report.errors, report.errors
    folder = tmp_path / plan.skill_name
    for rel, text in {"SKILL.md": content.skill_md, **content.files}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    assert skills_ref.validate(folder) == []


async def test_questions_overrides_and_feedback_reach_the_model(fake: FakeLlm) -> None:
    author = author_for(fake)
    fake.plan["questions"] = [{"id": "scope", "text": "Which repositories?",
                               "question_type": "text"}]
    asked = await author.understand(UnderstandInput(task_description="Help with commits"))
    assert [q.id for q in asked.questions] == ["scope"]
    assert "clarifying questions" in fake.prompt_text()

    plan = await author.understand(UnderstandInput(
        task_description=TASK, clarifications={"scope": "monorepos only"},
        feedback=["Cover breaking changes"], allow_questions=False,
        skill_name="conventional-commits", description="Writes commits. Use when committing."))
    prompt = fake.prompt_text()
    assert "monorepos only" in prompt and "Cover breaking changes" in prompt
    assert "Do not ask questions" in prompt
    assert plan.questions == []
    assert plan.skill_name == "conventional-commits"
    assert plan.description == "Writes commits. Use when committing."
    assert plan.taxonomy_path == "development/conventional-commits"

    previous = SkillContent(skill_md="---\nname: \"x\"\n---\n\n# PREVIOUS-VERSION-MARKER\n")
    await author.generate(GenerateInput(task_description=TASK, plan=plan, previous=previous,
                                        feedback="Add an example with a breaking change"))
    prompt = fake.prompt_text()
    assert "PREVIOUS-VERSION-MARKER" in prompt and "Add an example with a breaking change" in prompt


async def test_files_stay_one_level_deep(fake: FakeLlm) -> None:
    fake.skill["files"] = [
        {"path": "docs/deep/guide.md", "purpose": "guide", "content": "# Guide\n"},
        {"path": "scripts/check.py", "purpose": "checker", "content": "print('ok')\n"},
        {"path": "README.md", "purpose": "no", "content": "# readme\n"},
    ]
    plan = Understanding(**{k: v for k, v in PLAN.items() if k != "questions"})
    content = await author_for(fake).generate(GenerateInput(task_description=TASK, plan=plan))
    assert set(content.files) == {"references/guide.md", "scripts/check.py",
                                  "references/notes-README.md"}
    for path in content.files:
        assert f"]({path})" in content.skill_md
    # The steps still name the missing file, but no longer link to it.
    assert "(references/commit-types.md)" not in content.skill_md
    report = validate_content(plan.skill_name, content)
    assert not report.errors, report.errors


# --------------------------------------------------------------------------- (b)-(d) errors


async def test_malformed_reply_is_llm_malformed_reply(fake: FakeLlm) -> None:
    fake.behaviour = "malformed"
    err = await failure(author_for(fake).understand(UnderstandInput(task_description=TASK)))
    assert err.type == "LlmMalformedReply"
    assert not err.non_retryable
    assert err.__cause__ is None
    # One attempt plus pydantic-ai's single output retry, then it gives up.
    assert len(fake.requests) == 2


async def test_401_is_non_retryable_auth_error_without_the_key(fake: FakeLlm) -> None:
    fake.behaviour = 401
    err = await failure(author_for(fake).understand(UnderstandInput(task_description=TASK)))
    assert err.type == "LlmAuthError" and err.non_retryable
    assert "401" in err.message and "credentials" in err.message
    assert SECRET not in str(err) and SECRET[:12] not in str(err)
    assert err.__cause__ is None and err.__suppress_context__
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("status", "kind"), [(400, "LlmBadRequest"), (404, "LlmBadRequest"),
                                              (422, "LlmBadRequest"), (403, "LlmAuthError")])
async def test_permanent_http_errors_are_non_retryable(fake: FakeLlm, status: int,
                                                       kind: str) -> None:
    fake.behaviour = status
    err = await failure(author_for(fake).generate(
        GenerateInput(task_description=TASK, plan=Understanding(**PLAN))))
    assert err.type == kind and err.non_retryable
    assert str(status) in err.message
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_transient_http_errors_are_retryable(fake: FakeLlm, status: int) -> None:
    fake.behaviour = status
    err = await failure(author_for(fake).understand(UnderstandInput(task_description=TASK)))
    assert err.type == "LlmUnavailable" and not err.non_retryable
    assert str(status) in err.message
    assert len(fake.requests) == 1  # the client's own retries are off


async def test_timeout_and_refused_connection_are_retryable(fake: FakeLlm) -> None:
    fake.behaviour = "slow"
    err = await failure(author_for(fake, timeout=0.5).understand(
        UnderstandInput(task_description=TASK)))
    assert err.type == "LlmUnavailable" and not err.non_retryable
    assert "timed out after 0.5 seconds" in err.message  # our timeout, not the server's reply
    assert len(fake.requests) == 1

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    author = LlmAuthor("openai:m", base_url=f"http://127.0.0.1:{closed_port}/v1",
                       api_key=SECRET, timeout_seconds=2)
    err = await failure(author.understand(UnderstandInput(task_description=TASK)))
    assert err.type == "LlmUnavailable" and not err.non_retryable


# --------------------------------------------------------------------------- (e) make_author


def test_make_author_parses_the_model_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert isinstance(make_author(Settings(model="offline")), OfflineAuthor)

    author = make_author(Settings(model="openai:gpt-x", llm_base_url="http://127.0.0.1:9/v1",
                                  llm_timeout_seconds=7))
    assert isinstance(author, LlmAuthor) and author.model_id == "openai:gpt-x"
    assert isinstance(make_author(Settings(model="anthropic:some-model", llm_api_key=SECRET)),
                      LlmAuthor)

    for bad in ("gpt-4o", "mistral:large", "openai:", "Offline", ""):
        with pytest.raises(ValueError, match="Unknown SKILL_FLEET_MODEL"):
            make_author(Settings(model=bad))

    with pytest.raises(ApplicationError) as info:
        make_author(Settings(model="openai:gpt-x"))  # no key, no base URL
    assert info.value.type == "LlmConfigError" and info.value.non_retryable
    assert "SKILL_FLEET_LLM_API_KEY" in info.value.message
    assert SECRET not in repr(Settings(model="openai:gpt-x", llm_api_key=SECRET))


def test_timeout_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILL_FLEET_LLM_TIMEOUT_SECONDS", "33")
    assert Settings().llm_timeout_seconds == 33
    monkeypatch.delenv("SKILL_FLEET_LLM_TIMEOUT_SECONDS")
    assert Settings().llm_timeout_seconds == 120


# --------------------------------------------------------------------------- through Temporal


def test_jobs_through_temporal_with_the_provider_author(own_stack: LocalStack,
                                                        fake: FakeLlm) -> None:
    own_stack.start_server()
    [url] = own_stack.start_workers_and_apis(worker_env={
        "SKILL_FLEET_MODEL": "openai:test-model", "SKILL_FLEET_LLM_BASE_URL": fake.url,
        "SKILL_FLEET_LLM_API_KEY": SECRET})
    [worker] = own_stack.workers
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http, TASK)
        job = wait_status(http, job_id, ["completed", "failed", "cancelled"], timeout=90)
        assert job["status"] == "completed", job.get("error")
        # One plan and one skill, each a single request.
        assert len(fake.requests) == 2
        drafts = list(own_stack.skills_root.rglob("writing-commit-messages/SKILL.md"))
        assert len(drafts) == 1
        assert 'name: "writing-commit-messages"' in drafts[0].read_text()
        assert skills_ref.validate(drafts[0].parent) == []

        fake.behaviour = 401
        before = len(fake.requests)
        job_id = create_job(http, TASK)
        job = wait_status(http, job_id, ["completed", "failed", "cancelled"], timeout=90)
        assert job["status"] == "failed"
        assert "rejected the credentials" in job["error"] and SECRET not in job["error"]
        time.sleep(2)  # a retry would have come after 1 s (the retry policy's first interval)
        assert len(fake.requests) - before == 1
        assert wait_status(http, job_id, ["failed"])["error"] == job["error"]
    worker_log = worker.log_path.read_text(errors="replace") if worker.log_path else ""
    assert "LlmAuthError" in worker_log
    assert SECRET not in worker_log
