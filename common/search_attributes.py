"""Search attributes of a skill job: what lists, the inbox and the Web UI filter on.

Upserting an attribute the namespace does not know fails the workflow task
forever, so every process that sets up a namespace registers exactly this list.
Values are plain text in visibility: never put secrets in them.
"""

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

STATUS = SearchAttributeKey.for_keyword("SkillJobStatus")
PHASE = SearchAttributeKey.for_keyword("SkillJobPhase")
USER = SearchAttributeKey.for_keyword("SkillJobUser")
HITL_TYPE = SearchAttributeKey.for_keyword("SkillJobHitlType")
HITL_DEADLINE = SearchAttributeKey.for_datetime("SkillJobHitlDeadline")
# The job's user, or `group:<name>` once a waiting prompt is escalated.
ASSIGNEE = SearchAttributeKey.for_keyword("SkillJobAssignee")

ALL = (STATUS, PHASE, USER, HITL_TYPE, HITL_DEADLINE, ASSIGNEE)

_CLI_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
}


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return flags
