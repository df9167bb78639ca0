"""Trigger checks that can fail (issue 23, step 4): the offline author's cases come from other
words than its description, near misses are neighbouring jobs, and the matcher tells a precise
description from a vague or an over-broad one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from activities.offline_author import OfflineAuthor
from activities.offline_trigger_cases import SHORTHAND
from skill_format import parse_frontmatter, validate_content
from skill_format.models import SkillContent
from skill_format.triggers import ALIASES, keywords, trigger_cases, would_trigger
from workflows.models import Understanding, UnderstandInput

DATA = Path(__file__).parent.parent / "data"
TASKS = [
    *json.loads((DATA / "tasks.json").read_text()),
    "Help me review Terraform plans before they are applied",
    "Help an on-call engineer triage a PagerDuty alert for high p99 latency in a Go gRPC "
    "service, using Grafana dashboards and pprof",
]
PLAN_REVIEW = (
    "Reviews Terraform plans before apply: flags resource replacements, destroys and IAM "
    "widening in terraform show -json output. Use when a pull request changes Terraform code."
)
PARAPHRASES = ["Is this tf plan safe to apply?", "What will my Terraform plan destroy?"]
NEIGHBOURS = ["Write a Terraform module for an S3 bucket", "Upgrade Terraform on every CI runner"]
VAGUE = "Helps with tasks."
OVER_BROAD = "Anything about Terraform."

CASES = {
    "incident-postmortem-writing": (
        ["Help me write up a blameless postmortem for yesterday's outage",
         "Turn this Slack thread and the pager alerts into an incident timeline"],
        ["Write a status page update for customers during an ongoing outage",
         "Estimate the SLA credits we owe after the outage"]),
    "loki-logql-queries": (
        ["Write a LogQL query that counts 500s per minute for checkout",
         "Which LogQL parser do I need for json logs in Loki?"],
        ["Install Loki on our cluster with Helm",
         "Set the retention period for logs stored in Loki"]),
    "postgres-migration-safety": (
        ["Is it safe to add a NOT NULL column to a big Postgres table without downtime?",
         "How do I create an index concurrently in a Django migration?"],
        ["Tune shared_buffers and work_mem for a PostgreSQL server",
         "Set up streaming replication between two PostgreSQL servers"]),
    "terraform-plan-review": (
        ["Is this terraform plan safe to apply? It replaces the database",
         "Summarise the blast radius of this tf plan for the PR"],
        ["Write a Terraform module for an S3 bucket",
         "Import an existing EC2 instance into Terraform"]),
    "web-accessibility-audit": (
        ["Audit the focus order and labels of my signup form for a11y",
         "Does this React modal pass WCAG contrast and keyboard focus rules?"],
        ["Speed up the first paint of our React landing page",
         "Add dark mode to our React components"]),
    "api-reference-docs": (
        ["Write the reference page for our POST /orders endpoint from the OpenAPI spec",
         "Document the error codes and pagination of our public API"],
        ["Generate a Python client library from our OpenAPI spec",
         "Add rate limiting to the public API gateway"]),
    "git-release-tagging": (
        ["Cut a new release: bump the semantic version from conventional commits and tag it",
         "Publish the v2.3.0 GitHub release with an updated changelog"],
        ["Squash the last five git commits into one",
         "Set up branch protection rules on GitHub"]),
    "k8s-crashloop-triage": (
        ["My pod is in CrashLoopBackOff, how do I find out why?",
         "The k8s container keeps getting OOMKilled, check its limits and logs"],
        ["Write a Helm chart for a new Kubernetes service",
         "Set up cluster autoscaling on Kubernetes"]),
    "leaked-secret-response": (
        ["I accidentally committed an AWS key to the repo, what now?",
         "gitleaks flagged a GitHub token in our git history, rotate and revoke it"],
        ["Set up SSO for GitHub with our identity provider",
         "Write a password policy for the company"]),
    "ml-classifier-evaluation": (
        ["Evaluate our new churn classifier against the production baseline before release",
         "Pick a decision threshold and compute precision and recall per class"],
        ["Deploy the classifier behind a REST endpoint with FastAPI",
         "Label ten thousand support tickets for a new classifier"]),
    "pandas-csv-cleaning": (
        ["This CSV export from our CRM has mixed date formats and duplicate keys, clean it "
         "with pandas",
         "Fix the encoding and thousands separators in an Excel export before analysis"],
        ["Make a bar chart from a pandas dataframe",
         "Merge two pandas dataframes on customer id"]),
    "pdf-form-filling": (
        ["Fill these onboarding PDF forms from the HR spreadsheet",
         "Map the JSON data to the AcroForm fields and write one PDF per row"],
        ["Merge several PDF files into one",
         "Extract the text from a scanned PDF with OCR"]),
    "postgres-slow-query": (
        ["Why is this Postgres query slow? Here is the EXPLAIN ANALYZE output",
         "Find the missing index behind our slow report query"],
        ["Set up streaming replication for PostgreSQL",
         "Design the PostgreSQL tables for a new billing service"]),
    "pytest-flaky-tests": (
        ["Our CI fails intermittently: a pytest test passes on rerun",
         "How do I find why this flaky test depends on test order?"],
        ["Set up pytest for a brand new Django app",
         "Speed up our pytest suite with parallel workers"]),
    "python-pr-review": (
        ["Review this Django pull request for security problems",
         "Check this Flask PR for SQL injection and broad excepts"],
        ["Write a Python script that renames photos by date",
         "Set up a Django project with Docker"]),
    "chart-house-style": (
        ["Make this matplotlib revenue chart match our team's chart colours and fonts",
         "Style the churn dashboard tile like our published charts"],
        ["Write the SQL that computes monthly churn by plan",
         "Explain what a p-value means in our A/B test"]),
    "release-notes-writing": (
        ["Draft release notes for v4.7.0 from the merged pull requests",
         "Write the hotfix notice for today's Ledger app patch"],
        ["Review this pull request for security issues",
         "Tag the release commit and push the tag"]),
    "responsive-css-layout": (
        ["My CSS grid layout breaks on phones, how do I fix it?",
         "Turn this Figma design into a responsive page with flexbox"],
        ["Write a React hook for fetching data",
         "Set up a CSS linter in our repo"]),
    "terraform-state-moves": (
        ["Rename a Terraform resource without destroying it",
         "Move these resources into a module with moved blocks"],
        ["Write a Terraform module for an S3 bucket",
         "Estimate the cloud cost of our Terraform setup"]),
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


async def _plan(task: str) -> Understanding:
    return await OfflineAuthor().understand(UnderstandInput(task_description=task,
                                                            allow_questions=False))


@pytest.mark.parametrize("task", TASKS, ids=[t[:40] for t in TASKS])
async def test_offline_cases_do_not_come_from_the_description(task: str) -> None:
    plan = await _plan(task)
    description = plan.description.lower()
    assert 3 <= len(plan.example_requests) <= 6 and 2 <= len(plan.near_misses) <= 4
    for request in [*plan.example_requests, *plan.near_misses]:
        core = request.lower().rstrip("?.!")
        assert core not in description, request  # not a piece of the description
        # nor its words reordered: each case says at least one word the description does not
        assert _words(request) - _words(description), request
    task_words = keywords(task) | keywords(" ".join(plan.topics))
    for miss in plan.near_misses:
        # a neighbour: it names the task's tool or subject, and nothing else of the task's job
        assert keywords(miss) & task_words, miss
        assert not would_trigger(plan.description, miss), miss
    assert all(would_trigger(plan.description, r) for r in plan.example_requests)


async def test_offline_cases_catch_a_vague_and_an_over_broad_description() -> None:
    plan = await _plan("Help me review Terraform plans before they are applied")
    vague = trigger_cases(VAGUE, plan.example_requests, plan.near_misses)
    assert [c.request for c in vague if not c.ok] == plan.example_requests
    broad = trigger_cases(OVER_BROAD, plan.example_requests, plan.near_misses)
    assert [c.request for c in broad if not c.ok] == plan.near_misses
    assert not [c for c in trigger_cases(plan.description, plan.example_requests,
                                         plan.near_misses) if not c.ok]


def test_a_precise_description_takes_paraphrases_and_rejects_neighbours() -> None:
    assert all(would_trigger(PLAN_REVIEW, r) for r in PARAPHRASES)
    assert not any(would_trigger(PLAN_REVIEW, r) for r in NEIGHBOURS)


def _skill(description: str) -> SkillContent:
    body = "# Terraform plan review\n\nRun `terraform show -json plan.out | jq` and read it.\n"
    return SkillContent(skill_md=f"---\nname: terraform-plan-review\ndescription: "
                                 f"{json.dumps(description)}\n---\n\n{body}")


@pytest.mark.parametrize(("description", "wrong"), [
    (VAGUE, PARAPHRASES),  # would not trigger: each paraphrase is a finding
    (OVER_BROAD, NEIGHBOURS),  # so broad that the neighbouring jobs trigger it
])
def test_a_description_that_misbehaves_is_reported_with_the_request(
    description: str, wrong: list[str]
) -> None:
    precise = validate_content("terraform-plan-review", _skill(PLAN_REVIEW),
                               example_requests=PARAPHRASES, near_misses=NEIGHBOURS)
    report = validate_content("terraform-plan-review", _skill(description),
                              example_requests=PARAPHRASES, near_misses=NEIGHBOURS)
    assert all(c.ok for c in precise.trigger_cases)
    assert [c.request for c in report.trigger_cases if not c.ok] == wrong
    assert any(f"'{wrong[0]}'" in w and "trigger cases behave wrongly" in w
               for w in report.weaknesses), report.weaknesses
    assert (report.score_parts["trigger_clarity"]
            < precise.score_parts["trigger_clarity"])


def _description(name: str) -> str:
    for root in (DATA / "skill_corpus" / "expert", DATA / "calibration"):
        path = root / name / "SKILL.md"
        if path.exists():
            return str(parse_frontmatter(path.read_text())["description"])
    raise FileNotFoundError(f"no expert or calibration skill named {name}")


def test_every_expert_and_calibration_skill_has_cases() -> None:
    folders = {p.name for p in (DATA / "skill_corpus" / "expert").iterdir() if p.is_dir()}
    calibration = DATA / "calibration"
    folders |= {p.name for p in calibration.iterdir() if (p / "SKILL.md").is_file()}
    assert folders == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_expert_descriptions_pass_cases_written_for_them(name: str) -> None:
    paraphrases, neighbours = CASES[name]
    cases = trigger_cases(_description(name), paraphrases, neighbours)
    assert [c.request for c in cases if not c.ok] == []


def test_shorthand_is_read_as_the_name_it_stands_for() -> None:
    for full, short in SHORTHAND.items():
        assert ALIASES[short.lower()] == full
    assert would_trigger("Triages Kubernetes pods stuck in crash loops.", "k8s pod crash loop")
