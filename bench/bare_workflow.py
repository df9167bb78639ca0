"""The bare baseline: the same shape as `SkillJob` with nothing of ours around it.

Four activities with trivial bodies (understand, generate, validate, save), three
checkpoints answered by three updates (confirm, preview, validate), each wait with a
timeout like the real one (a durable timer per checkpoint). No memo, no search
attributes, no pydantic, no HTTP: the client drives it with the SDK directly.

The update for checkpoint N waits until the workflow reaches checkpoint N, hands over the
answer and returns once the main method has taken it, so a client just sends the three
updates in order and then waits for the result (the natural way to drive it with the SDK).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

WORKFLOW_TYPE = "BareJob"
CHECKPOINTS = ("confirm", "preview", "validate")
# Same timeouts and retry shape as AUTHOR_OPTIONS in workflows/activity_options.py.
OPTIONS = {
    "start_to_close_timeout": timedelta(minutes=5),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=4),
}
HITL_TIMEOUT = timedelta(hours=24)  # the real default (SKILL_FLEET_HITL_TIMEOUT_SECONDS)


@activity.defn(name="bare_understand")
async def bare_understand(task: str) -> str:
    return f"plan for {task}"


@activity.defn(name="bare_generate")
async def bare_generate(plan: str) -> str:
    return f"---\nname: bare\n---\n# {plan}\n"


@activity.defn(name="bare_validate")
async def bare_validate(content: str) -> bool:
    return bool(content)


@activity.defn(name="bare_save")
async def bare_save(content: str) -> str:
    return f"/drafts/{len(content)}"


ACTIVITIES = [bare_understand, bare_generate, bare_validate, bare_save]


@workflow.defn(name=WORKFLOW_TYPE)
class BareJob:
    def __init__(self) -> None:
        self.waiting: int = -1  # index of the checkpoint waiting for an answer
        self.answer: str | None = None

    @workflow.run
    async def run(self, task: str) -> str:
        plan = await workflow.execute_activity(bare_understand, task, **OPTIONS)
        await self._ask(0)
        content = await workflow.execute_activity(bare_generate, plan, **OPTIONS)
        await self._ask(1)
        ok = await workflow.execute_activity(bare_validate, content, **OPTIONS)
        await self._ask(2)
        path = await workflow.execute_activity(bare_save, content, **OPTIONS)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return path if ok else ""

    async def _ask(self, checkpoint: int) -> str:
        self.waiting = checkpoint
        await workflow.wait_condition(lambda: self.answer is not None, timeout=HITL_TIMEOUT)
        answer, self.answer, self.waiting = self.answer, None, -1
        assert answer is not None
        return answer

    @workflow.update
    async def answer_checkpoint(self, checkpoint: int, action: str) -> str:
        await workflow.wait_condition(lambda: self.waiting == checkpoint)
        self.answer = action
        await workflow.wait_condition(lambda: self.answer is None)
        return CHECKPOINTS[checkpoint]

    @answer_checkpoint.validator
    def _check(self, checkpoint: int, action: str) -> None:
        if not 0 <= checkpoint < len(CHECKPOINTS) or action != "proceed":
            raise ApplicationError("invalid answer", non_retryable=True)
