"""Validation findings linked to the SKILL.md lines they concern.

A finding's `lines` (workflows.models.Finding) count lines of the SKILL.md body, as the
validator reads it: after the frontmatter (skill_format.split_skill_md), split the way
CommonMark splits lines. The page shows the whole file as validated, one element per
line with the id `L<n>` (n: the file's line), and links each body line of a finding to
its file line, so following a link scrolls to that line and CSS `:target` marks it.

The validate prompt's data holds the report, not the file; the file is the job's newest
version, read with the state query (`JobGateway.versions`, which needs a worker). When
it cannot be read the findings keep their line numbers, unlinked.
"""

from __future__ import annotations

from typing import Any

from api.errors import ApiError
from api.job_gateway import JobGateway
from skill_format import FrontmatterError, split_skill_md


def source_lines(skill_md: str) -> list[str]:
    """The file's lines as CommonMark counts them: "\\n", "\\r\\n" and "\\r" end one."""
    lines = skill_md.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def body_offset(skill_md: str) -> int:
    """How many file lines come before the body's first line (frontmatter and its '---')."""
    try:
        front, body = split_skill_md(skill_md)
    except FrontmatterError:
        return 0  # the validator reads the whole file as the body then
    if front is None:
        return 0
    head = skill_md[: len(skill_md) - len(body)]
    return len(source_lines(head)) if head else 0


def link_findings(findings: list[dict[str, Any]], skill_md: str | None,
                  ) -> tuple[list[dict[str, Any]], list[str]]:
    """Each finding with `targets`, its (body line, file line) pairs inside the file, and
    the file's lines to show (none without a file: then no finding has targets)."""
    if skill_md is None:
        return [{**f, "targets": []} for f in findings], []
    lines = source_lines(skill_md)
    offset = body_offset(skill_md)
    linked = []
    for finding in findings:
        targets = [(n, n + offset) for n in finding.get("lines") or []
                   if isinstance(n, int) and 1 <= n + offset <= len(lines) and n >= 1]
        linked.append({**finding, "targets": targets})
    return linked, lines


async def validated_source(gateway: JobGateway, job_id: str, number: int,
                           owner: str | None) -> str | None:
    """Version `number`'s SKILL.md (the newest: the one the validate prompt reports on), or
    None when it cannot be read now."""
    if number < 1:
        return None
    try:
        version = await gateway.version(job_id, number, owner)
    except ApiError:
        return None
    return version.content.skill_md if version is not None else None
