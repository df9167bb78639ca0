"""The job's versions with their files, kept by the workflow beside its state, not in it.

The state, the run's result and the `get_state` query list versions by number, size and
hash (`VersionRecord`); the files of one version come from the `get_version` query. So
neither the result nor a query grows with the number of versions towards Temporal's 2 MB
payload limit. The history holds the files already (the activities' results and the
reviewers' answers), so a replay rebuilds this store as it rebuilds the state.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from workflows.models import JobState, SkillContent, SkillVersion, VersionRecord
from workflows.reviewer_edits import content_diff, shown


def version_sha256(content: SkillContent) -> str:
    """One hash of SKILL.md and every bundled file (path and text), in a fixed order."""
    digest = hashlib.sha256()
    for path, text in [("SKILL.md", content.skill_md), *sorted(content.files.items())]:
        for part in (path, text):
            data = part.encode()
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def size_bytes(content: SkillContent) -> int:
    return len(content.skill_md.encode()) + sum(len(t.encode()) for t in content.files.values())


class VersionStore:
    """Every version's files, in order; `state.versions` lists the same versions without them."""

    def __init__(self, state: JobState) -> None:
        self._state = state
        self._versions: list[SkillVersion] = []

    @property
    def content(self) -> SkillContent | None:
        """The newest version's files (the one being previewed, validated or saved)."""
        return self._versions[-1].content if self._versions else None

    @property
    def previous(self) -> SkillContent | None:
        """The files of the version before the newest, if there is one."""
        return self._versions[-2].content if len(self._versions) > 1 else None

    def get(self, number: int) -> SkillVersion | None:
        return self._versions[number - 1] if 1 <= number <= len(self._versions) else None

    def add(self, content: SkillContent, feedback: str | None, at: datetime) -> int:
        """Keep `content` as the next version; the state lists it and shows what changed."""
        state = self._state
        number = len(self._versions) + 1
        before = self.content
        diff = content_diff(before, content) if before else None
        state.last_diff = shown(diff)
        self._versions.append(SkillVersion(version=number, created_at=at, feedback=feedback,
                                           content=content, author=content.author, diff=diff))
        state.versions.append(VersionRecord(version=number, created_at=at, feedback=feedback,
                                            author=content.author,
                                            size_bytes=size_bytes(content),
                                            sha256=version_sha256(content)))
        return number
