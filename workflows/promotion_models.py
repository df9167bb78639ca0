"""What a promotion carries: the `promote` update's request, the activity's input, the result.

The workflow runs the promotion (`workflows.promotion`), the activity copies the files
(`activities.promotion`), and the API and the CLI send the request and read the result.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class PromoteRequest(BaseModel):
    """The promote update. The API sets `admin` and `requested_by` from the caller's key;
    the HTTP body (`api.schemas.PromoteBody`) cannot carry them."""

    model_config = ConfigDict(extra="forbid")

    overwrite: bool = False
    delete_draft: bool = False
    force: bool = False
    admin: bool = False
    requested_by: str | None = None


class PromoteInput(BaseModel):
    job_id: str
    taxonomy_path: str
    skill_name: str
    description: str = ""
    overwrite: bool = False
    delete_draft: bool = False
    # The job's user owns the promoted skill; an admin may replace anyone's.
    owner: str | None = None
    admin: bool = False


class PromoteResult(BaseModel):
    job_id: str
    status: Literal["promoted"] = "promoted"
    final_path: str
    taxonomy_path: str
