"""The schema renderer: it draws every checkpoint's answer schema, and reads forms back
into answers that the workflow's own check (`workflows.hitl.check_response`) accepts."""

from __future__ import annotations

import pytest

from api.ui.checkpoints import form_hints
from api.ui.schema_form import (
    SUPPORTED_KEYWORDS,
    FormInput,
    answer_errors,
    build_form,
    read_answer,
    schema_keywords,
)
from tests.fast.ui.samples import every_prompt, prompt_for
from workflows.hitl import check_response
from workflows.models import HitlPrompt, HitlResponse, HitlType

PROMPTS = every_prompt()


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: f"{p.type.value}-{len(p.actions)}")
def test_every_checkpoint_schema_uses_only_keywords_the_renderer_draws(
        prompt: HitlPrompt) -> None:
    unknown = schema_keywords(prompt.answer_schema) - SUPPORTED_KEYWORDS
    assert not unknown, f"{prompt.type.value} uses {unknown}: teach api/ui/schema_form.py"
    form = build_form(prompt.answer_schema, [a.value for a in prompt.actions])
    assert not form.raw_json, form.fallback_reason
    assert form.actions == [a.value for a in prompt.actions]
    assert "json" not in {f.widget for f in form.walk()}  # maps may be JSON ("map")


def test_an_unknown_keyword_falls_back_to_the_raw_json_editor() -> None:
    schema = {"type": "object", "properties": {"action": {"enum": ["proceed"]},
                                               "x": {"type": "string", "contentMediaType": "a"}}}
    assert schema_keywords(schema) == {"type", "properties", "enum", "contentMediaType"}
    form = build_form(schema, ["proceed"])
    assert form.raw_json and "contentMediaType" in form.fallback_reason
    assert read_answer(form, FormInput([("answer_json", '{"x": "y"}')])) == {"x": "y"}
    read_answer(form, FormInput([("answer_json", "{nope")]))
    assert form.errors and "not valid JSON" in form.errors[0]


def _answer(prompt: HitlPrompt, pairs: list[tuple[str, str]], action: str) -> HitlResponse:
    form = build_form(prompt.answer_schema, [a.value for a in prompt.actions])
    body = {"action": action, **read_answer(form, FormInput(pairs))}
    assert not answer_errors(prompt.answer_schema, body, form)
    assert not [f.error for f in form.walk() if f.error]
    return HitlResponse(prompt_id=prompt.prompt_id, **body)


def test_a_clarify_form_reads_back_into_an_answer_the_workflow_accepts() -> None:
    prompt = prompt_for(HitlType.CLARIFY)
    form = build_form(prompt.answer_schema, ["proceed", "cancel"])
    widgets = {f.name: f.widget for f in form.walk()}
    assert widgets == {"feedback": "textarea", "answers": "group",
                       "answers.audience": "radio", "answers.formats": "checkboxes",
                       "answers.depth": "radio", "answers.examples": "yesno",
                       "answers.subject": "textarea"}
    response = _answer(prompt, [
        ("answers.audience", "__other__"), ("answers.audience.__other__", "Testers"),
        ("answers.formats", "checklist"), ("answers.formats", "__other__"),
        ("answers.formats.__other__", "A diagram"), ("answers.depth", "full"),
        ("answers.examples", "false"), ("answers.subject", "pull\r\nrequests"),
        ("feedback", "")], "proceed")
    assert response.answers == {"audience": "Testers", "formats": ["checklist", "A diagram"],
                                "depth": "full", "examples": False,
                                "subject": "pull\nrequests"}
    assert check_response(prompt, response, answer_pending=False) is None


def test_missing_and_invalid_answers_are_marked_on_their_fields() -> None:
    prompt = prompt_for(HitlType.CLARIFY)
    form = build_form(prompt.answer_schema, ["proceed", "cancel"])
    body = {"action": "proceed", **read_answer(form, FormInput([
        ("answers.audience", "devs"), ("answers.depth", "nonsense"),
        ("answers.formats", "__other__")]))}
    answer_errors(prompt.answer_schema, body, form)
    errors = {f.name: f.error for f in form.walk() if f.error}
    assert errors["answers.depth"] == "choose one of the offered options" or \
        "choose one" in errors["answers.depth"]
    assert "other" in errors["answers.formats"]
    assert errors["answers.examples"] == "required"


@pytest.mark.parametrize("hitl_type", [HitlType.CONFIRM, HitlType.PREVIEW, HitlType.VALIDATE])
def test_revise_without_feedback_or_an_edit_is_refused_in_words(hitl_type: HitlType) -> None:
    """The rule comes from the schema: `required` (shown on the field) or an `anyOf` of
    requirements (shown as a note above the form)."""
    prompt = prompt_for(hitl_type)
    form = build_form(prompt.answer_schema, [a.value for a in prompt.actions])
    [feedback] = [f for f in form.fields if f.name == "feedback"]
    assert feedback.required_for == ["revise"] or any(
        n.startswith("To revise, give one of: Feedback") for n in form.notes), form.notes
    # The page offers the current plan / SKILL.md for editing; sent back unchanged, they
    # are no edit, so revise still needs feedback.
    offered = [(f.name, f.value) for f in form.fields if f.initial is not None]
    body = {"action": "revise",
            **read_answer(form, FormInput([("feedback", "  "), *offered]))}
    assert set(body) == {"action"}
    assert answer_errors(prompt.answer_schema, body, form)
    assert feedback.error == "required to revise" or form.errors == [form.notes[0]]
    ok = _answer(prompt, [("feedback", "Cover SQL injection"), *offered], "revise")
    assert check_response(prompt, ok, answer_pending=False) is None
    assert ok.model_dump(exclude_none=True).keys() == {"prompt_id", "action", "feedback",
                                                       "wait_seconds"}


def test_an_edited_plan_field_is_sent_and_an_untouched_one_is_not() -> None:
    prompt = prompt_for(HitlType.CONFIRM)
    form = build_form(prompt.answer_schema, ["proceed", "revise", "cancel"],
                      hints=form_hints(prompt))
    values = {f.name: f.value for f in form.fields}
    if "outline" not in values:
        pytest.fail("the confirm schema offers no outline edit any more: update this test")
    assert values["outline"] == "Read the diff\nCheck tests"
    edited = read_answer(form, FormInput([("skill_name", values["skill_name"]),
                                          ("outline", "Read the diff\r\nRun the tests\r\n")]))
    assert edited == {"outline": ["Read the diff", "Run the tests"]}


def test_structure_fix_reads_its_choices_and_checks_the_name_pattern() -> None:
    prompt = prompt_for(HitlType.STRUCTURE_FIX)
    form = build_form(prompt.answer_schema, ["proceed", "cancel"])
    assert form.notes == ["To proceed, give one of: Accept the suggested fixes; or Skill name; "
                          "or Description."]
    accept = _answer(prompt, [("accept_suggestions", "true")], "proceed")
    assert accept.accept_suggestions is True
    assert check_response(prompt, accept, answer_pending=False) is None
    body = {"action": "proceed", **read_answer(form, FormInput([("skill_name", "Bad Name")]))}
    assert answer_errors(prompt.answer_schema, body, form)
    [name] = [f for f in form.fields if f.name == "skill_name"]
    assert name.error and "does not match" in name.error
    form = build_form(prompt.answer_schema, ["proceed", "cancel"])
    assert answer_errors(prompt.answer_schema, {"action": "proceed"}, form)
    assert form.errors == [form.notes[0]]  # nothing chosen: the rule in words
