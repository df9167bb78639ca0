"""A prompt's `answer_schema` (JSON Schema) as an HTML form, and a submitted form as an answer.

The server draws the form from the same schema the workflow checks answers with, so a new
field in a checkpoint's schema shows up in the page without a template change. Only the
keywords in `SUPPORTED_KEYWORDS` are understood; `check_supported` names any other, and
the page then falls back to a raw JSON editor for the whole answer. `action` is not a field:
the allowed actions become the form's submit buttons. Conditions of the form
"if action is X then Y is required" are shown next to the fields they concern; every other
rule (patterns, lengths, `anyOf` of requirements) is checked on submit with `jsonschema`
(`answer_errors`), and its messages are shown next to the fields, before the workflow
checks the answer again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

SUPPORTED_KEYWORDS = frozenset({
    "type", "enum", "const", "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern", "format",
    "minimum", "maximum", "anyOf", "oneOf", "allOf", "if", "then", "else", "not", "title",
    "description", "default", "examples", "$schema", "$comment", "propertyNames",
    "minProperties", "maxProperties",
})
# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_SUBSCHEMA = ("items", "if", "then", "else", "not", "additionalProperties", "propertyNames")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
OTHER = "__other__"  # the radio/checkbox value that means "the text in the other box"
TEXTAREA_FROM = 200  # strings allowed to be longer than this get a textarea
LABELS = {
    "feedback": "Feedback",
    "skill_name": "Skill name",
    "description": "Description",
    "accept_suggestions": "Accept the suggested fixes",
    "answers": "Answers",
    "skill_md": "SKILL.md",
    "files": "Bundled files",
}


class UnsupportedSchema(ValueError):
    """The schema uses something this renderer cannot draw (the page shows raw JSON)."""


@dataclass
class Choice:
    value: str
    label: str
    help: str = ""


@dataclass
class FormField:
    """One input (or a group of them) of the form; `name` is its form field name."""

    name: str
    path: tuple[str, ...]
    # text textarea checkbox yesno radio checkboxes lines number group, map (an object of
    # name -> value, edited as JSON) and json (the fallback for what has no better widget)
    widget: str
    label: str
    help: str = ""
    required: bool = False
    required_for: list[str] = field(default_factory=list)  # actions that need it
    choices: list[Choice] = field(default_factory=list)
    other: bool = False  # a free-text "other" next to the choices
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    value: Any = None  # what the input shows (a previous submission, a default)
    # The current value an edit starts from: submitted unchanged, the field is left out.
    initial: Any = None
    children: list[FormField] = field(default_factory=list)
    error: str | None = None
    enum_values: list[Any] = field(default_factory=list)


@dataclass
class AnswerForm:
    fields: list[FormField]
    actions: list[str]
    notes: list[str] = field(default_factory=list)  # rules that span fields, in words
    raw_json: bool = False  # the fallback: one JSON textarea for the whole answer
    fallback_reason: str = ""
    errors: list[str] = field(default_factory=list)  # errors not tied to one field

    def walk(self) -> Iterable[FormField]:
        stack = list(reversed(self.fields))
        while stack:
            f = stack.pop()
            yield f
            stack.extend(reversed(f.children))


def schema_keywords(schema: Any) -> set[str]:
    """Every keyword used anywhere in `schema` (property names are not keywords)."""
    found: set[str] = set()
    if not isinstance(schema, Mapping):
        return found
    for key, value in schema.items():
        found.add(key)
        if key == "properties" and isinstance(value, Mapping):
            for sub in value.values():
                found |= schema_keywords(sub)
        elif key in _SUBSCHEMA:
            found |= schema_keywords(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            for sub in value:
                found |= schema_keywords(sub)
    return found


def check_supported(schema: Mapping[str, Any]) -> None:
    unknown = schema_keywords(schema) - SUPPORTED_KEYWORDS
    if unknown:
        raise UnsupportedSchema(f"the answer schema uses {', '.join(sorted(unknown))}")


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    return [kind] if isinstance(kind, str) else list(kind)


def _humanize(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").strip().capitalize()


def _choices(values: list[Any], labels: Mapping[str, Choice]) -> list[Choice]:
    return [labels.get(str(v)) or Choice(str(v), str(v)) for v in values]


def _plain_string(schema: Mapping[str, Any]) -> bool:
    return "string" in _types(schema) and "enum" not in schema and "const" not in schema


def build_field(name: str, schema: Mapping[str, Any], path: tuple[str, ...], *,
                hints: Mapping[str, Mapping[str, Any]], required: bool) -> FormField:
    """One property as a field; `hints` (by dotted path) add labels, help and choice labels."""
    key = ".".join(path)
    hint = hints.get(key, {})
    labels: dict[str, Choice] = {c.value: c for c in hint.get("choices", [])}
    types = [t for t in _types(schema) if t != "null"]
    f = FormField(name=key, path=path, widget="text",
                  label=schema.get("title") or hint.get("label") or _humanize(name),
                  help=hint.get("help") or schema.get("description", ""), required=required,
                  value=hint.get("value", hint.get("default", schema.get("default"))),
                  initial=hint.get("value"))
    options = [s for s in schema.get("anyOf", schema.get("oneOf", [])) if isinstance(s, Mapping)]
    if "const" in schema:
        f.widget, f.enum_values = "radio", [schema["const"]]
        f.choices = _choices(f.enum_values, labels)
    elif "enum" in schema:
        f.widget, f.enum_values = "radio", list(schema["enum"])
        f.choices = _choices(f.enum_values, labels)
    elif options and any("enum" in s for s in options) and all(
            "enum" in s or _plain_string(s) for s in options):
        # A choice with "other": anyOf [{enum: [...]}, {type: string}]
        f.widget = "radio"
        f.enum_values = [v for s in options for v in s.get("enum", [])]
        f.choices = _choices(f.enum_values, labels)
        f.other = any(_plain_string(s) for s in options)
        text = next((s for s in options if _plain_string(s)), {})
        f.min_length, f.max_length = text.get("minLength"), text.get("maxLength")
    elif options:
        raise UnsupportedSchema(f"{key}: anyOf/oneOf other than choices with 'other'")
    elif types == ["boolean"]:
        f.widget = "yesno" if required else "checkbox"
    elif types and types[0] in ("integer", "number"):
        f.widget, f.integer = "number", types[0] == "integer"
        f.minimum, f.maximum = schema.get("minimum"), schema.get("maximum")
    elif types == ["string"]:
        f.min_length, f.max_length = schema.get("minLength"), schema.get("maxLength")
        long_text = f.max_length is None or f.max_length > TEXTAREA_FROM
        f.widget = "textarea" if hint.get("multiline", long_text) else "text"
    elif types == ["array"]:
        item = schema.get("items", {})
        inner = build_field(name, item, path, hints={}, required=True) if isinstance(
            item, Mapping) else None
        if inner is not None and inner.widget == "radio":
            f.widget, f.enum_values, f.other = "checkboxes", inner.enum_values, inner.other
            f.choices = _choices(f.enum_values, labels)
            f.min_length, f.max_length = inner.min_length, inner.max_length
        elif inner is not None and inner.widget in ("text", "textarea"):
            f.widget = "lines"
        else:
            f.widget = "json"
    elif types == ["object"] and isinstance(schema.get("properties"), Mapping):
        f.widget = "group"
        needed = set(schema.get("required", []))
        f.children = [build_field(n, s, (*path, n), hints=hints, required=n in needed)
                      for n, s in schema["properties"].items()]
    elif types == ["object"] and isinstance(schema.get("additionalProperties"), Mapping):
        f.widget = "map"  # e.g. path -> file text: a JSON object, checked against the schema
    else:
        f.widget = "json"  # no type, or an object of unknown shape: edit it as JSON
    if f.widget == "lines" and isinstance(f.value, list):
        f.value = "\n".join(map(str, f.value))
    elif f.widget in ("map", "json") and f.value is not None and not isinstance(f.value, str):
        f.value = json.dumps(f.value, indent=2)
    return f


def _action_conditions(schema: Mapping[str, Any]) -> list[tuple[list[str], Mapping[str, Any]]]:
    """(actions, then-schema) of each `if action in [...] then ...` in `allOf`."""
    found = []
    for rule in schema.get("allOf", []):
        cond = (rule.get("if") or {}).get("properties", {}).get("action", {})
        actions = cond.get("enum") or ([cond["const"]] if "const" in cond else [])
        if actions and isinstance(rule.get("then"), Mapping):
            found.append(([str(a) for a in actions], rule["then"]))
    return found


def build_form(schema: Mapping[str, Any], actions: list[str], *,
               hints: Mapping[str, Mapping[str, Any]] | None = None) -> AnswerForm:
    """The form for one prompt: fields from the schema, buttons from its allowed actions."""
    hints = hints or {}
    try:
        check_supported(schema)
        if "object" not in _types(schema) or not isinstance(schema.get("properties"), Mapping):
            raise UnsupportedSchema("the answer schema is not an object with properties")
        props = schema["properties"]
        offered = props.get("action", {}).get("enum")
        buttons = [a for a in actions if offered is None or a in offered]
        needed = set(schema.get("required", []))
        fields = [build_field(n, s, (n,), hints=hints, required=n in needed)
                  for n, s in props.items() if n != "action"]
        form = AnswerForm(fields=fields, actions=buttons)
        by_name = {f.name: f for f in fields}
        for when, then in _action_conditions(schema):
            shown = [a for a in when if a in buttons]
            for name in then.get("required", []):
                if name in by_name and shown:
                    by_name[name].required_for += [a for a in shown
                                                   if a not in by_name[name].required_for]
            if then.get("anyOf") and shown:
                names = [", ".join(_humanize(n) for n in alt.get("required", []))
                         for alt in then["anyOf"]]
                form.notes.append(f"To {' or '.join(shown)}, give one of: "
                                  + "; or ".join(n for n in names if n) + ".")
        return form
    except UnsupportedSchema as err:
        return AnswerForm(fields=[], actions=list(actions), raw_json=True,
                          fallback_reason=str(err))


# ----------------------------------------------------------------------- form -> answer


class FormInput:
    """The submitted form: repeated names keep every value (checkboxes)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in pairs:
            self._values.setdefault(key, []).append(value)

    def get(self, name: str, default: str = "") -> str:
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self._values


def _text(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n")  # browsers send CRLF


def _enum_value(f: FormField, raw: str) -> Any:
    for value in f.enum_values:
        if str(value) == raw:
            return value
    raise ValueError("choose one of the options")


def _read(f: FormField, form: FormInput) -> Any:
    """The field's value, or None when left empty (then it is left out of the answer)."""
    if f.widget == "group":
        return _read_group(f.children, form) or None
    raw = _text(form.get(f.name)).strip() if f.widget != "textarea" else _text(form.get(f.name))
    f.value = form.getlist(f.name) if f.widget == "checkboxes" else raw
    if f.widget == "checkbox":
        return True if f.name in form else None
    if f.widget == "yesno":
        return {"true": True, "false": False}.get(raw) if raw else None
    if f.widget == "radio":
        if raw == OTHER and f.other:
            other = _text(form.get(f.name + "." + OTHER)).strip()
            if not other:
                raise ValueError("write your answer in the 'other' box")
            return other
        return _enum_value(f, raw) if raw else None
    if f.widget == "checkboxes":
        values = [_enum_value(f, v) for v in form.getlist(f.name) if v != OTHER]
        if OTHER in form.getlist(f.name) and f.other:
            other = _text(form.get(f.name + "." + OTHER)).strip()
            if not other:
                raise ValueError("write your answer in the 'other' box")
            values.append(other)
        return values or None
    if f.widget == "number":
        if not raw:
            return None
        try:
            return int(raw) if f.integer else float(raw)
        except ValueError:
            raise ValueError("enter a number") from None
    if f.widget == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()] or None
    if f.widget in ("json", "map"):
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValueError(f"not valid JSON ({err.msg}, line {err.lineno})") from None
    return raw if raw.strip() else None


def _unchanged(f: FormField, value: Any) -> bool:
    """An edit field sent back as it was offered is no edit."""
    if f.initial is None:
        return False
    if isinstance(value, str) and isinstance(f.initial, str):
        return _text(value).strip() == _text(f.initial).strip()
    return bool(value == f.initial)


def _read_group(fields: list[FormField], form: FormInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        try:
            value = _read(f, form)
        except ValueError as err:
            f.error = str(err)
            continue
        if value is not None and not _unchanged(f, value):
            out[f.path[-1]] = value
    return out


def read_answer(form_def: AnswerForm, form: FormInput) -> dict[str, Any]:
    """The answer fields from a submitted form (without action and ids); problems are left
    on the fields (`error`) or, for the raw JSON editor, in `form_def.errors`."""
    if form_def.raw_json:
        raw = form.get("answer_json").strip()
        try:
            value = json.loads(raw) if raw else {}
        except json.JSONDecodeError as err:
            form_def.errors.append(f"The answer is not valid JSON ({err.msg}, line {err.lineno}).")
            return {}
        if not isinstance(value, dict):
            form_def.errors.append("The answer must be a JSON object.")
            return {}
        return value
    return _read_group(form_def.fields, form)


def answer_errors(schema: Mapping[str, Any], body: Mapping[str, Any],
                  form_def: AnswerForm) -> bool:
    """Check `body` against the schema; put each message on its field. True if any."""
    by_path = {f.path: f for f in form_def.walk()}
    validator = jsonschema.Draft202012Validator(schema)
    found = False
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        found = True
        path = tuple(str(p) for p in error.absolute_path)
        target, message = by_path.get(path), error.message
        if error.validator == "required" and isinstance(error.instance, Mapping):
            action = body.get("action")
            message = (f"required to {action}" if "then" in error.schema_path and action
                       else "required")
            missing = [by_path.get((*path, n)) for n in error.validator_value
                       if n not in error.instance]
            for field_ in [f for f in missing if f is not None and f.error is None][1:]:
                field_.error = message  # one error per missing name; mark them all
            target = next((f for f in missing if f is not None and f.error is None),
                          target if not missing else None)
            if target is None and missing:
                continue
        while target is None and path:
            path = path[:-1]
            target = by_path.get(path)
        if target is not None and target.error is None:
            target.error = message
        elif target is None:
            form_def.errors.append(_root_message(error, form_def))
    return found


def _root_message(error: jsonschema.ValidationError, form_def: AnswerForm) -> str:
    if error.validator == "anyOf" and form_def.notes:
        return form_def.notes[0]
    return error.message
