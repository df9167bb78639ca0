"""Responses for models the route already holds validated."""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel


class ModelResponse(Response):
    """A pydantic model as JSON, serialized once.

    A model returned from a route is dumped, validated again against `response_model` and
    serialized by FastAPI; for a job view (up to ~20 KB) those passes were a fifth of the
    API's CPU per `GET /jobs/{id}` in the py-spy profile. Routes keep `response_model` for
    the OpenAPI document and return this.
    """

    media_type = "application/json"

    def __init__(self, model: BaseModel, status_code: int = 200) -> None:
        super().__init__(content=model.model_dump_json(), status_code=status_code)


class JsonResponse(Response):
    """JSON already serialized (a job view kept by `api.view_cache`): sent as it is."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        super().__init__(content=body, status_code=status_code)
