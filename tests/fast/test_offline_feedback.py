"""The offline author and free-text feedback: applied when certain, said plainly otherwise.

Through the real `AuthoringActivities` wrapper (as the worker runs it): a name, a category,
a section added or removed are applied; anything else leaves the skill as it was and the
notes, shown in the next prompt, say so. Never a pasted "Reviewer asked" line.
"""

from __future__ import annotations

from activities.authoring import rule_check
from activities.offline_author import OfflineAuthor
from activities.offline_feedback import HOW_TO_EDIT, read_feedback
from skill_format.models import SkillContent
from workflows.models import GenerateInput, Understanding, UnderstandInput
from workflows.taxonomy import CATEGORIES

TASK = ("Help an on-call engineer triage a PagerDuty alert for high p99 latency in a Go gRPC "
        "service, using Grafana dashboards and pprof")


async def _plan(*feedback: str) -> Understanding:
    request = UnderstandInput(task_description=TASK, feedback=list(feedback))
    return rule_check(await OfflineAuthor().understand(request), TASK)


async def _first(plan: Understanding) -> SkillContent:
    return await OfflineAuthor().generate(GenerateInput(task_description=TASK, plan=plan))


async def test_a_name_and_a_category_are_applied_to_the_plan() -> None:
    plan = await _plan("Name it triage-grpc-latency-alerts and put it under devops")
    assert plan.skill_name == "triage-grpc-latency-alerts"
    assert plan.taxonomy_path == "devops/triage-grpc-latency-alerts"
    assert plan.notes == ["Applied from your feedback: named the skill "
                          "'triage-grpc-latency-alerts'; put it under 'devops'."]
    assert "Reviewer asked" not in " ".join(plan.constraints)


async def test_sections_are_added_to_and_removed_from_the_outline() -> None:
    plan = await _plan("Add a Troubleshooting section and remove the References section.")
    assert plan.outline == ["When to Use", "Instructions", "Examples", "Edge Cases",
                            "Troubleshooting"]
    content = await _first(plan)
    headings = [ln for ln in content.skill_md.splitlines() if ln.startswith("## ")]
    assert "## Troubleshooting" in headings and "## References" not in headings
    assert headings.index("## Troubleshooting") == len(headings) - 1


async def test_free_text_it_cannot_apply_is_said_plainly_in_the_plan() -> None:
    before = await _plan()
    plan = await _plan("Focus on security issues too.")
    assert plan.notes == [
        "The offline author cannot rewrite the plan from free text, so it is unchanged by: "
        f"\"Focus on security issues too\". {HOW_TO_EDIT}"]
    assert (plan.skill_name, plan.description, plan.outline) == (
        before.skill_name, before.description, before.outline)
    assert "security issues" not in " ".join(plan.constraints)


async def test_only_the_newest_feedback_is_noted_but_every_request_stays() -> None:
    plan = await _plan("Name it latency-triage.", "Also cover Kubernetes.")
    assert plan.skill_name == "latency-triage"
    assert len(plan.notes) == 1 and "Also cover Kubernetes" in plan.notes[0]


async def test_a_revision_keeps_the_previous_text_and_says_why() -> None:
    plan = await _plan()
    first = await _first(plan)
    author = OfflineAuthor()
    feedback = "Add an example about SQL injection."
    second = await author.generate(GenerateInput(task_description=TASK, plan=plan,
                                                 previous=first, feedback=feedback))
    assert second.skill_md == first.skill_md and second.files == first.files
    assert feedback.rstrip(".") not in second.skill_md
    assert len(second.notes) == 1
    assert second.notes[0].startswith("The offline author cannot rewrite the skill from free "
                                      "text, so it is unchanged by: \"Add an example about SQL "
                                      "injection\".")
    assert "skill_md and files at preview" in second.notes[0]
    assert "SKILL_FLEET_MODEL" in second.notes[0]


async def test_a_revision_adds_and_removes_named_sections_of_the_previous_text() -> None:
    plan = await _plan()
    first = await _first(plan)
    human = SkillContent(skill_md=first.skill_md.replace("## Examples", "## Examples\n\nMine."),
                         files=first.files)
    second = await OfflineAuthor().generate(GenerateInput(
        task_description=TASK, plan=plan, previous=human,
        feedback="Remove the Edge Cases section; add a section called 'Rollback steps'. "
                 "Make it friendlier."))
    assert "## Edge Cases" not in second.skill_md and "Mine." in second.skill_md
    assert second.skill_md.index("## Rollback steps") < second.skill_md.index("## References")
    assert second.skill_md.split("\n---\n")[0] == human.skill_md.split("\n---\n")[0]
    assert second.notes[0] == ("Applied from your feedback: removed the section 'Edge Cases'; "
                               "added the section 'Rollback steps' (its text is yours to "
                               "write at preview).")
    assert "Make it friendlier" in second.notes[1]


async def test_what_cannot_be_applied_for_certain_is_named() -> None:
    plan = await _plan("Name it Bad_Name and put it under cooking.")
    assert any("'Bad_Name' is not a valid skill name" in n for n in plan.notes)
    assert any("'cooking' is not a known category" in n for n in plan.notes)
    first = await _first(plan)
    second = await OfflineAuthor().generate(GenerateInput(
        task_description=TASK, plan=plan, previous=first, feedback="Remove the FAQ section."))
    assert second.skill_md == first.skill_md
    assert second.notes == ["Not applied: SKILL.md has no section 'FAQ'."]


def test_the_reading_is_literal() -> None:
    reading = read_feedback("The category should be observability; rename it to p99-triage.")
    assert (reading.skill_name, reading.category, reading.unread) == (
        "p99-triage", "observability", [])
    assert read_feedback("Add an example about SQL injection.").unread == [
        "Add an example about SQL injection"]


def test_the_offline_authors_categories_are_in_the_taxonomy() -> None:
    """The reviewer's `category` edit is checked against the same list the author picks from."""
    from activities.domain_vocabulary import CATEGORIES as AUTHOR_CATEGORIES

    assert set(AUTHOR_CATEGORIES) <= set(CATEGORIES)
