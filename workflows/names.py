"""The names other processes use to reach the workflow and its activities.

The API and CLI address the workflow by these strings, so they never import
workflow or activity code.
"""

WORKFLOW_TYPE = "SkillJob"

# messages
SIGNAL_HITL_RESPONSE = "hitl_response"
UPDATE_SUBMIT_HITL_RESPONSE = "submit_hitl_response"
QUERY_GET_STATE = "get_state"
# One version with its files (the state lists versions without them).
QUERY_GET_VERSION = "get_version"

# activities
ACTIVITY_UNDERSTAND = "understand_task"
ACTIVITY_GENERATE = "generate_skill"
ACTIVITY_VALIDATE = "validate_skill"
ACTIVITY_SAVE_DRAFT = "save_draft"
ACTIVITY_DELETE_DRAFT = "delete_draft"

# memo key holding the job's `JobView`
MEMO_VIEW = "job"
UPDATE_PROMOTE = "promote"
QUERY_GET_EVENTS = "get_events"
ACTIVITY_PROMOTE_DRAFT = "promote_draft"
UPDATE_REWIND = "rewind"
ACTIVITY_DELIVER_WEBHOOK = "deliver_webhook"
ACTIVITY_CANCEL_RUN = "cancel_run"
# the refinement loop and the rubric judge (`workflows.refinement`)
ACTIVITY_REFINE_DRAFT = "refine_draft"
ACTIVITY_JUDGE_DRAFT = "judge_draft"
