"""The API's fake gateway plus what only the reviewer page reads (a job's versions)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fast.api.fake_gateway import FakeGateway
from workflows.models import SkillVersion


@dataclass
class UiFakeGateway(FakeGateway):
    version_list: list[SkillVersion] = field(default_factory=list)

    async def versions(self, job_id: str, owner: str | None = None) -> list[SkillVersion]:
        self._record("versions", job_id=job_id, owner=owner)
        return self.version_list
