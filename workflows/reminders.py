"""When, before a prompt's deadline, to remind and to escalate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class Nudge:
    at: datetime
    kind: Literal["reminder", "escalation"]
    before_deadline_seconds: float


def nudges(created: datetime, deadline: datetime, reminder_offsets: list[float],
           escalate_before: float | None) -> list[Nudge]:
    """The reminders and escalation that fall after `created`, earliest first."""
    planned = [Nudge(deadline - timedelta(seconds=o), "reminder", o) for o in reminder_offsets]
    if escalate_before is not None:
        planned.append(Nudge(deadline - timedelta(seconds=escalate_before), "escalation",
                             escalate_before))
    return sorted((n for n in planned if created < n.at < deadline), key=lambda n: n.at)
