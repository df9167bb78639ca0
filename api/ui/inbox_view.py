"""The inbox's filters and sort, read from the URL, so a filtered inbox survives a reload.

The inbox page (`/ui/`) and its stream (`/ui/inbox/events`) take the same query: the
checkpoint `type`, and for admins the inbox API's `assignee` and `user` filters, and a
`sort`: `deadline` (soonest first, the default; overdue ones lead, none last), `age`
(oldest prompt first) or `skill` (by skill name). The user and assignee filters go to
visibility as the API's do; type and order apply to the page read (the first
`PAGE_SIZE` prompts). The ownership rule is the API's: a user's inbox is their own, and
a `user` filter naming someone else shows nothing. A bad value is a 422 saying which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from api.errors import ApiError
from api.job_gateway import JobGateway
from api.schemas import USER_ID_PATTERN, InboxItem
from workflows.models import HitlType

PAGE_SIZE = 200
SORTS = {"deadline": "soonest deadline first", "age": "oldest first",
         "skill": "by skill name"}
DEFAULT_SORT = "deadline"
ASSIGNEE_PATTERN = r"^(group:)?[A-Za-z0-9_.@-]{1,128}$"  # as GET /api/v2/hitl/pending
TYPES = [t.value for t in HitlType]


@dataclass(frozen=True)
class InboxQuery:
    type: HitlType | None = None
    assignee: str | None = None
    user: str | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> InboxQuery:
        """The query of a URL; blank values are no filter; a bad one is a 422."""
        def value(name: str) -> str | None:
            return (params.get(name) or "").strip() or None

        kind, sort = value("type"), value("sort") or DEFAULT_SORT
        if kind is not None and kind not in TYPES:
            raise ApiError(422, f"Filter type must be one of: {', '.join(TYPES)} "
                                f"(not {kind[:40]!r}).")
        if sort not in SORTS:
            raise ApiError(422, f"Sort must be one of: {', '.join(SORTS)} "
                                f"(not {sort[:40]!r}).")
        user, assignee = value("user"), value("assignee")
        if user is not None and not re.fullmatch(USER_ID_PATTERN, user):
            raise ApiError(422, "Filter user must be a user id (letters, digits, . _ @ -).")
        if assignee is not None and not re.fullmatch(ASSIGNEE_PATTERN, assignee):
            raise ApiError(422, "Filter assignee must be a user id or group:<name> "
                                "(letters, digits, . _ @ -).")
        return cls(HitlType(kind) if kind else None, assignee, user, sort)

    @property
    def filtered(self) -> bool:
        return bool(self.type or self.assignee or self.user)

    def query_string(self) -> str:
        """The URL query of this choice: only what differs from the plain inbox."""
        pairs = {"type": self.type.value if self.type else None, "assignee": self.assignee,
                 "user": self.user, "sort": None if self.sort == DEFAULT_SORT else self.sort}
        return urlencode({k: v for k, v in pairs.items() if v})

    def apply(self, items: list[InboxItem]) -> list[InboxItem]:
        """The items of the chosen type, in the chosen order (ties: oldest, then job id)."""
        kept = [i for i in items if self.type is None or i.type is self.type]
        if self.sort == "age":
            return sorted(kept, key=lambda i: (i.created_at, i.job_id))
        if self.sort == "skill":
            return sorted(kept, key=lambda i: (i.skill_name is None,
                                               (i.skill_name or "").casefold(),
                                               i.created_at, i.job_id))
        return sorted(kept, key=lambda i: (i.deadline is None,
                                           i.deadline.timestamp() if i.deadline else 0.0,
                                           i.created_at, i.job_id))


async def read_inbox(gateway: JobGateway, owner: str | None,
                     query: InboxQuery) -> tuple[list[InboxItem], bool]:
    """The prompts the query shows to a caller whose own scope is `owner` (None: admin),
    and whether there were more than one page of them."""
    if owner is not None and query.user not in (None, owner):
        return [], False  # another user's prompts: none, as the API answers
    items, more = await gateway.pending_prompts(user_id=owner or query.user,
                                                assignee=query.assignee,
                                                page_size=PAGE_SIZE, page_token=None)
    return query.apply(items), bool(more)
