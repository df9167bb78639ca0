"""What the workflow's parts share: the job's state and the callbacks that show its changes.

`SkillJob` owns one of each part (`Checkpoints`, `PromotionWindow`, `Refinement`) and hands
them the same three things, so the parts change one `JobState` and record and publish as the
workflow itself does.
"""

from __future__ import annotations

from collections.abc import Callable

from workflows.models import JobState


class JobPart:
    """A part of one job's workflow: `_state` is the job's, `_record` adds an event and
    `_publish` writes the view (memo and search attributes)."""

    def __init__(self, state: JobState, record: Callable[..., None],
                 publish: Callable[[], None]) -> None:
        self._state = state
        self._record = record
        self._publish = publish
