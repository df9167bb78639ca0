"""The offline author plans like an expert: the job's name, its category, English that reads.

Issue 24: "Help an on-call engineer triage a PagerDuty alert ..." was planned as
`general/call-engineer-triage-pagerduty`, and "reviews" became "Reviewses".
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from activities.authoring import rule_check
from activities.domain_vocabulary import CATEGORIES
from activities.offline_author import OfflineAuthor
from activities.offline_naming import plan_naming, third_person
from skill_format.rules import description_issues, name_issues
from skill_store.paths import check_taxonomy_path
from workflows.models import Understanding, UnderstandInput

PAGERDUTY = ("Help an on-call engineer triage a PagerDuty alert for high p99 latency in a Go "
             "gRPC service, using Grafana dashboards and pprof")


async def plan(task: str, **fields: object) -> Understanding:
    request = UnderstandInput(task_description=task, allow_questions=False, **fields)
    return rule_check(await OfflineAuthor().understand(request), task)


async def test_the_on_call_task_is_named_for_its_job_under_observability() -> None:
    result = await plan(PAGERDUTY)
    assert result.category in {"devops", "observability"}
    assert result.taxonomy_path == f"{result.category}/{result.skill_name}"
    name = result.skill_name
    assert "call-engineer" not in name and not name.startswith(("help", "call"))
    assert name.startswith("triage-")
    assert "latency" in name or "alert" in name
    assert "pagerduty" in name or "grpc" in name
    # The audience keeps its hyphen, and the sentence speaks about the skill.
    assert result.description.startswith("Helps an on-call engineer triage a PagerDuty alert")
    assert not result.rule_issues


@pytest.mark.parametrize(("task", "opening"), [
    ("reviews Python pull requests", "Reviews Python pull requests."),
    ("refactors legacy Java services into smaller classes",
     "Refactors legacy Java services into smaller classes."),
    ("writes release notes from merged pull requests",
     "Writes release notes from merged pull requests."),
    ("Help me review Terraform plans before they are applied",
     "Reviews Terraform plans before they are applied."),
    ("fix flaky pytest tests in a Django project", "Fixes flaky pytest tests in a Django project."),
    ("analyze slow PostgreSQL queries", "Analyzes slow PostgreSQL queries."),
    ("do code reviews for Go services", "Does code reviews for Go services."),
    ("Create a skill that summarizes incident timelines", "Summarizes incident timelines."),
    ("I want a skill for reviewing Helm charts", "Reviews Helm charts."),
])
async def test_the_description_is_third_person_english(task: str, opening: str) -> None:
    result = await plan(task)
    assert result.description.startswith(opening), result.description
    # "Use when" repeats the request in the imperative, from the lemma.
    imperative = opening[:-1].split(" ", 1)[1]
    verb = {"Reviews": "review", "Refactors": "refactor", "Writes": "write", "Fixes": "fix",
            "Analyzes": "analyze", "Does": "do", "Summarizes": "summarize"}[opening.split()[0]]
    assert f"Use when the user asks to {verb} {imperative}" in result.description


@pytest.mark.parametrize(("verb", "expected"), [
    ("review", "reviews"), ("refactor", "refactors"), ("write", "writes"), ("fix", "fixes"),
    ("analyze", "analyzes"), ("do", "does"), ("triage", "triages"), ("carry", "carries"),
    ("go", "goes"), ("dockerize", "dockerizes"),
])
def test_third_person_comes_from_the_inflection_library(verb: str, expected: str) -> None:
    assert third_person(verb) == expected


CATEGORY_OF = {  # task -> the category it is filed under
    PAGERDUTY: "observability",
    "Query Datadog logs to find the cause of 500 errors after a deploy": "observability",
    "Write Prometheus alerting rules for Kafka consumer lag": "observability",
    "Clean a pandas DataFrame of duplicate rows before loading it": "data",
    "Build dbt models for weekly active users in Snowflake": "data",
    "Turn messy CSV exports from a billing system into a revenue summary": "data",
    "Write end-to-end Playwright tests for a checkout page": "testing",
    "Fix flaky pytest fixtures in a Django project": "testing",
    "Write Terraform modules for an AWS VPC": "devops",
    "Triage Kubernetes pod crash loops by reading events and resource limits": "devops",
    "Set up a GitHub Actions workflow that deploys a Docker image": "devops",
    "Convert React class components to hooks": "development",
    "Fix CSS layout bugs in Safari": "development",
    "Review Python pull requests for readability": "development",
    "Audit a repository for leaked secrets and rotate credentials": "security",
    "Fill in PDF tax forms from a spreadsheet of client data": "documents",
    "Draft a weekly engineering newsletter from merged pull requests": "writing",
    "Plan a birthday party for a seven year old": "general",
}


@pytest.mark.parametrize(("task", "category"), CATEGORY_OF.items())
async def test_tools_and_concepts_choose_the_category(task: str, category: str) -> None:
    result = await plan(task)
    assert result.category == category, (result.category, result.skill_name)
    assert result.taxonomy_path == f"{category}/{result.skill_name}"


@pytest.mark.parametrize(("task", "name"), [
    ("Write conventional commit messages from staged git diffs",
     "write-conventional-commit-messages"),
    ("Fill in PDF tax forms from a spreadsheet", "fill-in-pdf-tax-forms"),
    ("Draft a weekly engineering newsletter from merged pull requests",
     "draft-weekly-engineering-newsletters"),
    ("Audit a repository for leaked secrets", "audit-repository-leaked-secrets"),
    ("Format SQL queries for readability in code reviews", "format-sql-queries"),
    ("Help me review Terraform plans", "review-terraform-plans"),
    ("Create a skill that refactors legacy Java code", "refactor-legacy-java-code"),
    ("Plan zero-downtime PostgreSQL schema migrations for a busy web application",
     "plan-zero-downtime-postgresql-schema-migrations"),
])
async def test_the_name_is_verb_and_object(task: str, name: str) -> None:
    assert (await plan(task)).skill_name == name


async def test_a_vague_task_is_planned_from_the_subject_the_user_gave() -> None:
    result = await plan("Help me with stuff please", clarifications={
        "subject": "reviewing python pull requests", "output": "checklist", "examples": True})
    assert result.skill_name == "review-python-pull-requests"
    assert result.category == "development"
    assert result.description.startswith("Reviews python pull requests.")


async def test_a_requested_name_is_kept() -> None:
    result = await plan("Create a skill named sql-tidy that formats SQL queries")
    assert result.skill_name == "sql-tidy"
    assert result.description.startswith("Formats SQL queries.")


def test_every_category_is_one_the_product_knows() -> None:
    from workflows.taxonomy import CATEGORIES as PRODUCT_CATEGORIES

    assert set(CATEGORIES) <= set(PRODUCT_CATEGORIES)


VERBS = ["review", "reviews", "Triage", "fix", "analyzes", "write", "Summarise", "set up",
         "do", "help me plan", "Help the team audit", "dockerize", "build", "extract", "monitor"]
OBJECTS = ["a PagerDuty alert for high latency", "Claude prompts", "anthropic SDK upgrades",
           "the on-call rota", "C++ builds", "node.js services", "CSV files", "café menus",
           "a repository", "my stuff", "things", "data", "dbt models in Snowflake and BigQuery",
           "zero-downtime blue-green deploys, canaries and rollbacks across 40 regions"]
PREAMBLES = ["", "Create a skill that ", "Please ", "I want a skill to ", "A skill for "]
WORDS = ["helper", "data", "tool", "claude", "the", "a", "of", "on-call", "p99", "grpc", "x",
         "Kubernetes", "naïve", "C#", "can't", "--", "(", ")", "é", "AWS", "utils", "and"]


def _assert_valid(task: str) -> None:
    naming = plan_naming(task)
    assert not name_issues(naming.skill_name), (task, naming.skill_name)
    assert naming.category in CATEGORIES
    check_taxonomy_path(f"{naming.category}/{naming.skill_name}")
    assert not description_issues(naming.description), (task, naming.description)


@pytest.mark.parametrize("preamble", PREAMBLES)
def test_names_are_valid_for_every_combination(preamble: str) -> None:
    for verb, obj in itertools.product(VERBS, OBJECTS):
        _assert_valid(f"{preamble}{verb} {obj}")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS + VERBS + OBJECTS), max_size=12).map(" ".join)
       | st.text(max_size=80))
def test_names_are_valid_for_any_text(task: str) -> None:
    _assert_valid(task)


@pytest.mark.parametrize(("task", "opening"), [
    # a noun compound that opens with a word that can be a verb is not an imperative
    ("Code review for Python pull requests", "Helps with code review for Python pull requests."),
    ("Log analysis for nginx", "Helps with log analysis for nginx."),
    ("Test generation for Django views", "Helps with test generation for Django views."),
    # verbs people start a request with, or a verb with an ordinary object, stay verbs
    ("Plan migration for Postgres", "Plans migration for Postgres."),
    ("Review code for security issues", "Reviews code for security issues."),
    ("Simplify deployment for Flask apps", "Simplifies deployment for Flask apps."),
    ("Test migration scripts", "Tests migration scripts."),
    # names keep their capital; a common word that only opened the sentence loses it
    ("Python linting for Django", "Helps with Python linting for Django."),
    ("Kubernetes upgrades", "Helps with Kubernetes upgrades."),
])
async def test_a_noun_compound_is_not_read_as_a_verb(task: str, opening: str) -> None:
    assert (await plan(task)).description.startswith(opening)
