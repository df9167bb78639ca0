"""Choose the author named by `SKILL_FLEET_MODEL`."""

from __future__ import annotations

from activities.authoring import Author
from activities.offline_author import OfflineAuthor
from common.settings import Settings


def make_author(settings: Settings) -> Author:
    if settings.model == "offline":
        return OfflineAuthor(delay_seconds=settings.offline_delay_seconds)
    raise ValueError(
        f"Unknown SKILL_FLEET_MODEL {settings.model!r}; use 'offline' or 'provider:model'."
    )
