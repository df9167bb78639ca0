"""Choose the author named by `SKILL_FLEET_MODEL`: `offline` or `provider:model`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from activities.authoring import Author
from activities.llm_providers import PROVIDERS
from activities.offline_author import OfflineAuthor
from common.settings import Settings

if TYPE_CHECKING:
    from activities.rubric_judge import RubricJudge


def make_author(settings: Settings) -> Author:
    """Build the author once at worker start; a bad setting fails the start with its reason."""
    model = settings.model.strip()
    if model == "offline":
        return OfflineAuthor(delay_seconds=settings.offline_delay_seconds)
    provider, sep, name = model.partition(":")
    if sep and provider in PROVIDERS and name.strip():
        # Imported here: the provider libraries double a worker's start time.
        from activities.llm_author import LlmAuthor

        return LlmAuthor(
            model,
            base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key or None,
            timeout_seconds=settings.llm_timeout_seconds,
        )
    raise ValueError(
        f"Unknown SKILL_FLEET_MODEL {settings.model!r}; use 'offline' or '<provider>:<model>' "
        f"with provider one of {', '.join(PROVIDERS)} (e.g. 'openai:gpt-4o-mini'; for Ollama, "
        "vLLM or LM Studio use 'openai:<model>' with SKILL_FLEET_LLM_BASE_URL)."
    )


def make_judge(settings: Settings) -> RubricJudge | None:
    """The rubric judge named by `SKILL_FLEET_JUDGE_MODEL` (None: unset), on the author's
    provider settings; a bad name fails the worker's start with its reason."""
    model = (settings.judge_model or "").strip()
    if not model:
        return None
    provider, sep, name = model.partition(":")
    if not (sep and provider in PROVIDERS and name.strip()):
        raise ValueError(f"Unknown SKILL_FLEET_JUDGE_MODEL {model!r}; use '<provider>:<model>' "
                         f"with provider one of {', '.join(PROVIDERS)}.")
    from activities.rubric_judge import RubricJudge

    return RubricJudge(model, base_url=settings.llm_base_url or None,
                       api_key=settings.llm_api_key or None,
                       timeout_seconds=settings.llm_timeout_seconds)
