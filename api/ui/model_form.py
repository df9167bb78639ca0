"""A request model of the API (pydantic) as an HTML form, and pydantic's refusals on its fields.

The create, promote and rewind forms are drawn from the very models the JSON routes
validate with (`CreateJobRequest`, `PromoteBody`, `RewindRequest`), so a new option shows
up in the page without a template change. Pydantic's JSON Schema is first made plain for
`schema_form`: `$ref`s are inlined, "X or null" becomes an optional X, and generated titles
are dropped (labels come from hints). The model itself, not the schema, then checks what
was submitted; its messages are put on the fields they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.errors import ApiError
from api.ui.schema_form import AnswerForm, FormInput, build_form, read_answer

_NULL = {"type": "null"}
M = TypeVar("M", bound=BaseModel)


def plain_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with refs inlined and optional values as plain types."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    return _plain(schema, defs, top=True)


def _plain(node: Any, defs: Mapping[str, Any], *, top: bool = False) -> Any:
    if isinstance(node, list):
        return [_plain(n, defs) for n in node]
    if not isinstance(node, Mapping):
        return node
    out = dict(node)
    ref = out.pop("$ref", None)
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        out = {**defs[ref.removeprefix("#/$defs/")], **out}
    options = out.get("anyOf")
    if isinstance(options, list) and _NULL in options:
        rest = [o for o in options if o != _NULL]
        if len(rest) == 1:  # "X or null": an optional X (left empty, it is left out)
            del out["anyOf"]
            out = {**_plain(rest[0], defs), **out}
    if "exclusiveMinimum" in out:  # the model checks "more than"; the input shows the floor
        out.setdefault("minimum", out.pop("exclusiveMinimum"))
    if not top:
        out.pop("title", None)
    if isinstance(out.get("properties"), Mapping):
        out["properties"] = {k: _plain(v, defs) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), Mapping):
            out[key] = _plain(out[key], defs)
    if isinstance(out.get("anyOf"), list):
        out["anyOf"] = _plain(out["anyOf"], defs)
    return out


def model_form(model: type[BaseModel], *, hints: Mapping[str, Mapping[str, Any]] | None = None,
               leave_out: tuple[str, ...] = ()) -> AnswerForm:
    """The model's form (one submit button, drawn by the page's own template)."""
    schema = plain_schema(model)
    for name in leave_out:
        schema["properties"].pop(name, None)
    return build_form(schema, [], hints=hints or {})


def read_model(model: type[M], form_def: AnswerForm,
                             form: FormInput) -> M | None:
    """The submitted form as the model, or None with the problems left on the fields."""
    values = read_answer(form_def, form)
    if any(f.error for f in form_def.walk()):
        return None
    try:
        return model.model_validate(values)
    except ValidationError as err:
        for e in err.errors():
            place_error(form_def, tuple(str(p) for p in e["loc"]), _message(e))
        return None


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def place_error(form_def: AnswerForm, loc: tuple[str, ...], message: str) -> None:
    """Put `message` on the field at `loc` (or the nearest enclosing one), else on the form."""
    by_path = {f.path: f for f in form_def.walk()}
    while loc:
        target = by_path.get(loc)
        if target is not None:
            if target.error is None:
                target.error = message
            return
        loc = loc[:-1]
    form_def.errors.append(message)


def place_api_error(form_def: AnswerForm, err: ApiError) -> None:
    """A route's refusal that names a field (as the create route's 422 does) goes on it."""
    for item in err.details.get("errors") or []:
        loc = tuple(str(p) for p in item.get("loc", []) if p != "body")
        if loc and any(f.path == loc for f in form_def.walk()):
            place_error(form_def, loc, str(item.get("msg", err.error)))
