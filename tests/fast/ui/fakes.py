"""The API's fake gateway plus what only the reviewer page reads (a job's versions)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fast.api.fake_gateway import FakeGateway
from workflows.models import SkillVersion


@dataclass
class UiFakeGateway(FakeGateway):
    version_list: list[SkillVersion] = field(default_factory=list)

    async def version(self, job_id: str, number: int,
                      owner: str | None = None) -> SkillVersion | None:
        self._record("version", job_id=job_id, number=number, owner=owner)
        return next((v for v in self.version_list if v.version == number), None)
