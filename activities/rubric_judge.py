"""The optional rubric judge: a model scores a draft against `activities.rubric.RUBRIC`.

`SKILL_FLEET_JUDGE_MODEL` names the model (same provider settings as the author). Its typed
verdict (pydantic-ai `output_type=RubricVerdict`) becomes one judged score part through
`activities.rubric.judged_report`, each criterion's reason a finding, so the report shows why.
"""

from __future__ import annotations

import json

from pydantic_ai import Agent

from activities.llm_author import LlmAuthor
from activities.rubric import RUBRIC, RubricVerdict
from skill_format.models import SkillContent


def _judge_prompt(skill_name: str, task: str, content: SkillContent) -> str:
    files = {"SKILL.md": content.skill_md, **content.files}
    return (f"Task the skill was written for:\n{task.strip()}\n\nSkill {skill_name!r}, "
            f"its files as JSON (path -> text):\n{json.dumps(files, indent=1)}")


class RubricJudge:
    """A judge on the author's provider settings, with the author's error mapping."""

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 timeout_seconds: float = 120.0) -> None:
        self._llm = LlmAuthor(model, base_url=base_url, api_key=api_key,
                              timeout_seconds=timeout_seconds)
        self.model_id = model
        self._agent = Agent(self._llm.model, output_type=RubricVerdict, instructions=RUBRIC,
                            model_settings=self._llm.model_settings, retries=self._llm.retries,
                            name="skill-judge")

    def __repr__(self) -> str:
        return f"RubricJudge({self.model_id!r})"

    async def judge(self, skill_name: str, task: str, content: SkillContent) -> RubricVerdict:
        return await self._llm.run(self._agent, _judge_prompt(skill_name, task, content), "judge")
