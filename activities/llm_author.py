"""The LLM author: pydantic-ai agents with typed output behind the same `Author` interface.

`SKILL_FLEET_MODEL=openai:<model>` or `anthropic:<model>`; any OpenAI-compatible server
(Ollama, vLLM, LM Studio) through `SKILL_FLEET_LLM_BASE_URL`. Temporal owns retrying: the
provider client makes one attempt per call, bounded by `SKILL_FLEET_LLM_TIMEOUT_SECONDS`,
and every failure leaves as an `ApplicationError` whose `type` says what went wrong and
whose `non_retryable` says whether another attempt can help. No message carries the key.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
    UserError,
)
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from temporalio.exceptions import ApplicationError

from activities import llm_usage
from activities.llm_providers import PROVIDERS
from skill_format import render_skill_md
from skill_format.models import SkillContent
from workflows.models import (
    ClarifyingQuestion,
    GenerateInput,
    ResourcePlan,
    Understanding,
    UnderstandInput,
)
from workflows.taxonomy import taxonomy_path

log = logging.getLogger("skill_fleet.llm_author")

KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# Local OpenAI-compatible servers ignore the key, but the client insists on one.
PLACEHOLDER_KEY = "not-needed"
# Bounded by the workflow's RetryPolicy anyway; this is pydantic-ai's in-run repair budget.
OUTPUT_RETRIES = 1
MAX_BUNDLED_FILES = 8
BODY_LINE_BUDGET = 450

T = TypeVar("T", bound=BaseModel)


# --------------------------------------------------------------------------- typed outputs


class PlanOutput(BaseModel):
    """What the model returns for Understanding (the rule check fills the rest)."""

    domain: str = Field(description="The subject area in a few words.")
    category: str = Field(description="One lowercase word, e.g. development, data, writing.")
    topics: list[str] = Field(description="3-6 keywords a user would say.")
    example_requests: list[str] = Field(
        description="3-6 concrete, realistic user requests that SHOULD trigger the skill.")
    near_misses: list[str] = Field(
        description="2-4 similar-sounding requests that should NOT trigger it.")
    skill_name: str = Field(description="kebab-case, ASCII, at most 64 characters, specific.")
    description: str = Field(
        description="Third person; what it does AND when to use it ('Use when ...'); "
                    "at most 1024 characters.")
    taxonomy_path: str = Field(description="category/skill-name")
    outline: list[str] = Field(description="SKILL.md section headings, in order.")
    resources: list[ResourcePlan] = Field(
        description="Files to bundle: references/<file>.md or scripts/<file>, with purpose.")
    success_criteria: list[str] = Field(description="2-5 checkable statements.")
    constraints: list[str] = Field(description="Requirements from the task, answers, feedback.")
    assumptions: list[str] = Field(description="What was assumed where the task is silent.")
    ambiguities: list[str] = Field(description="Real open choices (empty if none).")
    questions: list[ClarifyingQuestion] = Field(
        description="0-3 clarifying questions; empty unless asked for and needed.")


class ExampleOutput(BaseModel):
    input: str = Field(description="A realistic user request or input.")
    output: str = Field(description="What the agent produces for it (abridged if long).")


class BundledFile(BaseModel):
    path: str = Field(description="references/<name>.md or scripts/<name>.<ext>")
    purpose: str = Field(description="One line: when the agent should open this file.")
    content: str


class SkillOutput(BaseModel):
    """What the model returns for Generation; SKILL.md is rendered from it in code."""

    title: str = Field(description="A short human title, e.g. 'Conventional Commit Messages'.")
    overview: str = Field(description="1-3 sentences on what the skill achieves.")
    when_to_use: list[str] = Field(description="Situations and requests that call for it.")
    when_not_to_use: list[str] = Field(description="Near misses it should not handle.")
    instructions: list[str] = Field(description="Ordered, imperative steps.")
    examples: list[ExampleOutput] = Field(description="1-3 worked examples.")
    edge_cases: list[str] = Field(description="Pitfalls and how to handle each.")
    files: list[BundledFile] = Field(
        description="Reference files / scripts the steps link to (may be empty).")


# --------------------------------------------------------------------------- prompts

PLAN_INSTRUCTIONS = """\
You plan Agent Skills: a folder with SKILL.md that teaches a capable AI agent one
well-defined job. Follow Anthropic's skill-creator practice:
- Understand the skill through 3-6 concrete example requests a user would really type
  (specific files, tools, wording) and 2-4 near-misses: related requests that must NOT
  trigger it.
- skill_name: kebab-case, lowercase ASCII letters, digits and single hyphens, at most 64
  characters, specific (e.g. writing-commit-messages, filling-pdf-forms). Never contains
  "claude" or "anthropic"; never vague (helper, utils, tools, data, stuff).
- description: third person ("Writes...", never "I" or "you"), at most 1024 characters
  (aim for 60-150 words); says what the skill does AND when to use it, with a sentence
  starting "Use when ..." that names the keywords users would say. No < or >, no "---".
- taxonomy_path: category/skill-name, category one lowercase word.
- outline: When to Use, Instructions, Examples, Edge Cases (plus others only if needed).
- resources: only what the agent would not already know: long reference material in
  references/<file>.md, deterministic reusable code in scripts/<file>. Often none.
- success_criteria: 2-5 checkable statements of a good result.
Be concise: plan only what a capable agent does not already know."""

SKILL_INSTRUCTIONS = """\
You write the body of an Agent Skill (SKILL.md) from an approved plan, for a capable AI
agent that needs only what it does not already know. Return structured sections:
when to use (and near misses not to use it for), ordered step-by-step instructions,
1-3 worked examples each with a realistic input and the expected output, and edge cases
with how to handle each. Keep the whole body well under 500 lines (about 5,000 tokens);
move long reference material into files under references/ (or reusable code under
scripts/) and mention them in the steps as references/<file>.md - one level deep, no
other folders. Be concrete and concise; do not repeat the description."""


def _plan_prompt(request: UnderstandInput) -> str:
    parts = [f"Task:\n{request.task_description.strip()}"]
    if request.clarifications:
        parts.append("The user answered clarifying questions; fold these answers into the "
                     "plan and do not ask about them again:\n"
                     + json.dumps(request.clarifications, indent=2, default=str))
    feedback = [f for f in request.feedback if f and f.strip()]
    if feedback:
        parts.append("Reviewer feedback on an earlier plan; address every point:\n"
                     + "\n".join(f"- {f.strip()}" for f in feedback))
    if request.skill_name:
        parts.append(f"Use exactly this skill_name: {request.skill_name}")
    if request.description:
        parts.append(f"Use exactly this description: {request.description}")
    if request.allow_questions:
        parts.append(
            "Questions: only if the task leaves real choices open that change the skill "
            "(scope, input or output format, target tools), ask 1-3 clarifying questions "
            "(id in snake_case; question_type boolean, single, multi or text; options for "
            "single/multi; a rationale) and list the open points in ambiguities. Still fill "
            "the rest of the plan with your best guess. Otherwise leave questions empty.")
    else:
        parts.append("Do not ask questions: leave questions empty and record your choices "
                     "in assumptions.")
    return "\n\n".join(parts)


def _skill_prompt(request: GenerateInput) -> str:
    plan = request.plan
    plan_json = plan.model_dump_json(
        indent=2, include={"skill_name", "description", "domain", "topics", "example_requests",
                           "near_misses", "outline", "resources", "success_criteria",
                           "constraints", "assumptions"})
    parts = [f"Task:\n{request.task_description.strip()}", f"Approved plan:\n{plan_json}"]
    if request.feedback and request.feedback.strip():
        if request.previous:
            files = "\n\n".join(f"--- {path} ---\n{text}"
                                for path, text in sorted(request.previous.files.items()))
            parts.append("Your previous version (revise it; keep what works):\n"
                         f"{request.previous.skill_md}\n{files}")
        parts.append(f"Revise to address this feedback completely:\n{request.feedback.strip()}")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- the author


class LlmAuthor:
    """An `Author` backed by a provider model (`openai:<model>`, `anthropic:<model>`)."""

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 timeout_seconds: float = 120.0) -> None:
        provider, _, model_name = model.partition(":")
        if provider not in PROVIDERS or not model_name.strip():
            raise ValueError(f"Unknown model {model!r}; use one of "
                             + ", ".join(f"'{p}:<model>'" for p in PROVIDERS) + ".")
        self.model_id = model
        key = api_key or os.environ.get(KEY_VARIABLES[provider])
        if not key and not base_url:
            raise ApplicationError(
                f"No API key for {model!r}: set SKILL_FLEET_LLM_API_KEY or "
                f"{KEY_VARIABLES[provider]} (or SKILL_FLEET_LLM_BASE_URL for a local "
                "OpenAI-compatible server).",
                type="LlmConfigError", non_retryable=True)
        self._secret = key or ""
        llm = _build_model(provider, model_name.strip(), base_url, key or PLACEHOLDER_KEY,
                           timeout_seconds)
        settings = ModelSettings(timeout=timeout_seconds, request_timeout=timeout_seconds,
                                 max_retries=0)
        if provider == "anthropic":
            settings["max_tokens"] = 8192
        retries = {"output": OUTPUT_RETRIES, "tools": OUTPUT_RETRIES}
        # Shared with other agents on the same provider (the rubric judge).
        self.model, self.model_settings, self.retries = llm, settings, retries
        self._planner = Agent(llm, output_type=PlanOutput, instructions=PLAN_INSTRUCTIONS,
                              model_settings=settings, retries=retries, name="skill-planner")
        self._writer = Agent(llm, output_type=SkillOutput, instructions=SKILL_INSTRUCTIONS,
                             model_settings=settings, retries=retries, name="skill-writer")

    def __repr__(self) -> str:
        return f"LlmAuthor({self.model_id!r})"

    async def understand(self, request: UnderstandInput) -> Understanding:
        out = await self._run(self._planner, _plan_prompt(request), "understand")
        plan = Understanding(**out.model_dump())
        if request.skill_name:
            plan.skill_name = request.skill_name
        if request.description:
            plan.description = request.description
        if not request.allow_questions:
            plan.questions = []
        plan.questions = plan.questions[:3]
        plan.skill_name = plan.skill_name.strip()
        category = (plan.taxonomy_path.split("/")[0] if "/" in plan.taxonomy_path
                    else plan.category).strip().lower() or "general"
        plan.category = plan.category or category
        plan.taxonomy_path = taxonomy_path(category, plan.skill_name)
        return plan

    async def generate(self, request: GenerateInput) -> SkillContent:
        return await self.write(_skill_prompt(request), request.plan, "generate")

    async def write(self, prompt: str, plan: Understanding, step: str) -> SkillContent:
        """The writer's answer to `prompt` as a skill folder (generation and refinement)."""
        out = await self._run(self._writer, prompt, step)
        files, purposes = _bundled_files(out.files)
        body = _render_body(out, purposes)
        if body.count("\n") > BODY_LINE_BUDGET and out.examples:
            # Too long for SKILL.md: the examples move to a linked reference file.
            files["references/examples.md"] = "# Examples\n\n" + _examples_md(out.examples)
            purposes["references/examples.md"] = "worked examples of input and output"
            body = _render_body(out.model_copy(update={"examples": []}), purposes)
        body = _fix_links(body, files)
        frontmatter = {
            "name": plan.skill_name,
            "description": plan.description,
            "metadata": {"version": "1.0", "generated-by": f"skill-fleet {self.model_id}"},
        }
        return SkillContent(skill_md=render_skill_md(frontmatter, body), files=files)

    async def run(self, agent: Agent[None, T], prompt: str, step: str) -> T:
        """Run any agent on this provider with the author's error mapping and usage count."""
        return await self._run(agent, prompt, step)

    async def _run(self, agent: Agent[None, T], prompt: str, step: str) -> T:
        try:
            result = await agent.run(prompt)
        except Exception as exc:  # every provider failure leaves as an ApplicationError
            error = self._translate(exc)
            if error is None:
                raise
            log.warning("LLM %s failed for %s: %s: %s", step, self.model_id, error.type,
                        error.message)
            # `from None`: the provider's exception (its body, headers) stays out of history.
            raise error from None
        llm_usage.add(result.usage)
        return result.output

    # ----------------------------------------------------------------- error mapping

    def _translate(self, exc: Exception) -> ApplicationError | None:
        model = self.model_id
        status = exc.status_code if isinstance(exc, ModelHTTPError) else None
        http = f" (HTTP {status})" if status else ""
        if status in (401, 403) or isinstance(exc, ModelAuthenticationError):
            return _error(f"The LLM provider rejected the credentials for {model!r}{http}; "
                          "check SKILL_FLEET_LLM_API_KEY and access to the model.",
                          "LlmAuthError", retryable=False)
        if isinstance(exc, ModelQuotaExceededError):
            return _error(f"The LLM account for {model!r} is out of quota or credit{http}: "
                          f"{self._detail(exc)}", "LlmQuotaExceeded", retryable=False)
        if status is not None and (status in (408, 409, 429) or status >= 500):
            return _error(f"The LLM provider is unavailable for {model!r}{http}: "
                          f"{self._detail(exc)}", "LlmUnavailable", retryable=True)
        if status is not None or isinstance(exc, ModelRequestRejectedError):
            return _error(f"The LLM provider refused the request for {model!r}{http} "
                          f"(bad request or unknown model): {self._detail(exc)}",
                          "LlmBadRequest", retryable=False)
        if isinstance(exc, ModelAPIError | TimeoutError | ConnectionError):
            return _error(f"Could not get a reply from {model!r} (timeout, connection or "
                          f"rate limit): {type(exc).__name__}: {self._detail(exc)}",
                          "LlmUnavailable", retryable=True)
        if isinstance(exc, UnexpectedModelBehavior):
            return _error(f"{model!r} returned a reply that does not fit the expected "
                          f"structure: {self._redact(exc.message)}",
                          "LlmMalformedReply", retryable=True)
        if isinstance(exc, UserError):
            return _error(f"The LLM author for {model!r} is misconfigured: "
                          f"{self._redact(str(exc))}", "LlmConfigError", retryable=False)
        return None

    def _detail(self, exc: Exception) -> str:
        body = getattr(exc, "body", None)
        message: Any = None
        if isinstance(body, dict):
            inner = body.get("error")
            message = body.get("message") or (inner.get("message") if isinstance(inner, dict)
                                              else inner)
        if not message:
            message = getattr(exc, "message", None) or str(exc)
        return self._redact(str(message))[:300]

    def _redact(self, text: str) -> str:
        if self._secret and self._secret != PLACEHOLDER_KEY:
            text = text.replace(self._secret, "***")
        return re.sub(r"\b(sk|key)-[A-Za-z0-9_\-]{6,}", r"\1-***", text)


def _error(message: str, kind: str, *, retryable: bool) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=not retryable)


def _build_model(provider: str, name: str, base_url: str | None, key: str,
                 timeout: float) -> Model:
    if provider == "anthropic":
        from anthropic import AsyncAnthropic
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        anthropic_client = AsyncAnthropic(api_key=key, base_url=base_url, timeout=timeout,
                                          max_retries=0)
        return AnthropicModel(name, provider=AnthropicProvider(anthropic_client=anthropic_client))

    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    extra: dict[str, Any] = {"base_url": base_url} if base_url else {}
    openai_client = AsyncOpenAI(api_key=key, timeout=timeout, max_retries=0, **extra)
    return OpenAIChatModel(name, provider=OpenAIProvider(openai_client=openai_client))


# --------------------------------------------------------------------------- SKILL.md body


def _bundled_files(files: list[BundledFile]) -> tuple[dict[str, str], dict[str, str]]:
    """(path -> content, path -> purpose); paths one level deep in references/ or scripts/."""
    contents: dict[str, str] = {}
    purposes: dict[str, str] = {}
    for f in files:
        parts = [p for p in f.path.strip().replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or not f.content.strip():
            continue
        folder = "scripts" if parts[0] == "scripts" else "references"
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", parts[-1]).strip("-.") or "notes"
        if stem.split(".")[0].lower() in ("readme", "changelog", "skill"):
            stem = f"notes-{stem}"
        if folder == "references" and "." not in stem:
            stem += ".md"
        path = f"{folder}/{stem}"
        if path not in contents:
            contents[path] = f.content.rstrip() + "\n"
            purposes[path] = " ".join(f.purpose.split())
        if len(contents) >= MAX_BUNDLED_FILES:
            break
    return contents, purposes


LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")


def _fix_links(body: str, files: dict[str, str]) -> str:
    """Point local links at the bundled file of the same name; unlink the ones that dangle."""
    by_name = {path.rsplit("/", 1)[-1]: path for path in files}

    def fix(match: re.Match[str]) -> str:
        text, target = match.groups()
        if re.match(r"^([a-z][a-z0-9+.-]*:|#)", target, re.IGNORECASE):
            return match.group(0)  # a URL, mailto: or an anchor
        path = target.split("#")[0].removeprefix("./")
        if path in files or path == "SKILL.md":
            return match.group(0)
        name = path.rsplit("/", 1)[-1]
        return f"[{text}]({by_name[name]})" if name in by_name else text

    return LINK.sub(fix, body)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    return "`" * max(3, longest + 1)


def _examples_md(examples: list[ExampleOutput]) -> str:
    blocks = []
    for i, ex in enumerate(examples, 1):
        fi, fo = _fence(ex.input), _fence(ex.output)
        blocks.append(f"### Example {i}\n\n**Input:**\n\n{fi}text\n{ex.input.strip()}\n{fi}\n\n"
                      f"**Output:**\n\n{fo}text\n{ex.output.strip()}\n{fo}\n")
    return "\n".join(blocks)


def _item(text: str, marker: str) -> str:
    lines = text.strip().splitlines() or [""]
    pad = " " * len(marker)
    return "\n".join([f"{marker}{lines[0]}", *[f"{pad}{line}" if line else "" for line in
                                               lines[1:]]])


def _render_body(out: SkillOutput, purposes: dict[str, str]) -> str:
    lines = [f"# {out.title.strip() or 'Skill'}", "", out.overview.strip(), "",
             "## When to Use", ""]
    lines += [_item(s, "- ") for s in out.when_to_use] or ["- The task matches the description."]
    if out.when_not_to_use:
        lines += ["", "Do not use it for:", "", *[_item(s, "- ") for s in out.when_not_to_use]]
    lines += ["", "## Instructions", ""]
    lines += [_item(s, f"{i}. ") for i, s in enumerate(out.instructions, 1)]
    lines += ["", "## Examples", ""]
    if out.examples:
        lines.append(_examples_md(out.examples).rstrip())
    elif "references/examples.md" in purposes:
        lines.append("Worked input and output examples: "
                     "[references/examples.md](references/examples.md).")
    lines += ["", "## Edge Cases", "", *[_item(s, "- ") for s in out.edge_cases]]
    if purposes:
        lines += ["", "## Resources", ""]
        lines += [f"- [{path}]({path})" + (f": {why}" if why else "")
                  for path, why in purposes.items()]
    return "\n".join(lines).rstrip() + "\n"
