"""Replay recorded histories against today's workflow code: a non-replay-safe change fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.skill_job import SkillJob

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
EXPECTED = {
    "all_checkpoints", "structure_fix", "rewind", "cancel_by_answer", "cancel_by_request",
    "timeout_cancel", "timeout_proceed_with_reminders",
    # confirm, preview, review with the memo view in parts (`workflows.memo_view`), recorded
    # from tests/fast/workflow/test_history_size.py's journey
    "split_memo_three_checkpoints",
    # the same journey since `lean-history` (`workflows.lean_history`): held replies with no
    # timer, validate and save as local activities, the compact memo
    "lean_three_checkpoints",
    # the same journey of a job whose input names its history format (`JobInput.history_format`,
    # `workflows.lean_history.HISTORY_FORMAT`), recorded from test_history_size.py
    "input_format_three_checkpoints",
    # a cancelled job's run ends Canceled (`workflows.cancelled_run`): by the API's cancel
    # request, and by a cancel answer (the job requests it), recorded from
    # tests/fast/workflow/test_cancelled_runs.py
    "canceled_run_by_request", "canceled_run_by_answer",
    # auto-refinement (`workflows.refinement`, patch "auto-refine") with the judge: two rounds
    # (kept, then a pass) and completed, and paused with round 2's `refine_draft` in flight,
    # recorded from tests/fast/workflow/test_refinement_history.py
    "auto_refine_two_rounds_judged", "auto_refine_round_in_flight",
}


def test_every_journey_has_a_recorded_history() -> None:
    assert {p.stem for p in HISTORIES} == EXPECTED


@pytest.mark.parametrize(
    "history",
    [WorkflowHistory.from_json(p.stem, p.read_text()) for p in HISTORIES],
    ids=[p.stem for p in HISTORIES],
)
async def test_history_replays(history: WorkflowHistory) -> None:
    replayer = Replayer(workflows=[SkillJob], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
