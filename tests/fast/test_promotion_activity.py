"""The promotion activity alone, in Temporal's `ActivityEnvironment`: the cases a live job
cannot produce (a retry of one attempt, a symlinked category, a corrupt index, owners and
names, the bounded version history). Promotion over HTTP: tests/test_promotion.py."""

from __future__ import annotations

import dataclasses
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.promotion import PromotionActivities
from skill_store.library import JOB_MARKER, list_skills
from skill_store.versions import KEEP_VERSIONS, list_versions
from tests.support import files_of, index_of
from workflows.promotion_models import PromoteInput


def _library(tmp_path: Path, taxonomy_path: str = "data/demo-skill") -> tuple[Path, str]:
    root = tmp_path / "skills"
    job_id = str(uuid.uuid4())
    draft = root / "_drafts" / job_id / taxonomy_path
    (draft / "references").mkdir(parents=True)
    (draft / "SKILL.md").write_text("---\nname: demo-skill\n---\n# Demo\n")
    (draft / "references" / "guide.md").write_text("guide")
    return root, job_id


def _run(root: Path, **fields: Any) -> Any:
    request = PromoteInput(skill_name="demo-skill", **fields)
    return ActivityEnvironment().run(PromotionActivities(root).promote_draft, request)


def test_activity_retry_of_one_attempt_is_idempotent(tmp_path: Path) -> None:
    root, job_id = _library(tmp_path)
    first = _run(root, job_id=job_id, taxonomy_path="data/demo-skill", overwrite=False)
    # the environment reuses one activity id: this is a retry of the same attempt
    again = _run(
        root, job_id=job_id, taxonomy_path="data/demo-skill", overwrite=False, delete_draft=True
    )
    assert first == again
    assert (root / "data/demo-skill/references/guide.md").read_text() == "guide"
    assert not (root / "_drafts" / job_id).exists()
    assert list(json.loads((root / "taxonomy_index.json").read_text())) == ["data/demo-skill"]


def test_activity_refuses_unsafe_and_colliding_targets(tmp_path: Path) -> None:
    root, job_id = _library(tmp_path)

    def refused(kind: str, **fields: Any) -> None:
        with pytest.raises(ApplicationError) as err:
            _run(root, **{"job_id": job_id, "taxonomy_path": "data/demo-skill", **fields})
        assert err.value.type == kind and err.value.non_retryable, err.value

    for bad in ("../escape", "data/../../x", "/abs/x", "Data/x", "data/x%2f..", "_drafts/x"):
        refused("unsafe_path", taxonomy_path=bad)
    refused("unsafe_path", job_id="../../etc")

    # a category folder that is a symlink leading out of the root
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "data").symlink_to(outside, target_is_directory=True)
    refused("unsafe_path")
    assert not list(outside.iterdir())
    (root / "data").unlink()

    # a folder that is not a skill (a category holding skills) is never replaced
    (root / "data" / "demo-skill" / "inner").mkdir(parents=True)
    refused("target_exists")
    shutil.rmtree(root / "data")

    # a path nested inside another skill
    (root / "data").mkdir()
    (root / "data" / "SKILL.md").write_text("---\nname: data\n---\n")
    refused("target_exists")
    shutil.rmtree(root / "data")

    # a draft holding a symlink is not copied
    draft = root / "_drafts" / job_id / "data" / "demo-skill"
    (draft / "leak").symlink_to(tmp_path / "outside")
    refused("unsafe_path")
    (draft / "leak").unlink()

    shutil.rmtree(draft)
    refused("no_draft")


def test_activity_keeps_a_corrupt_index_aside(tmp_path: Path) -> None:
    root, job_id = _library(tmp_path)
    root.mkdir(exist_ok=True)
    (root / "taxonomy_index.json").write_text("{not json")
    _run(root, job_id=job_id, taxonomy_path="data/demo-skill")
    assert "data/demo-skill" in json.loads((root / "taxonomy_index.json").read_text())
    [aside] = root.glob("taxonomy_index.json.corrupt-*")
    assert aside.read_text() == "{not json"


def _draft(root: Path, taxonomy_path: str, name: str, body: str = "# Demo\n") -> str:
    """Another job's draft in the same library."""
    job_id = str(uuid.uuid4())
    draft = root / "_drafts" / job_id / taxonomy_path
    draft.mkdir(parents=True)
    (draft / "SKILL.md").write_text(f"---\nname: {name}\n---\n{body}")
    return job_id


def _run_as(root: Path, run_id: str, **fields: Any) -> Any:
    """A promotion from its own workflow run (a distinct attempt, not a retry)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_run_id=run_id)
    request = PromoteInput(**{"skill_name": "demo-skill", **fields})
    return env.run(PromotionActivities(root).promote_draft, request)


def test_activity_guards_owners_names_and_keeps_versions(tmp_path: Path) -> None:
    root, alice_job = _library(tmp_path)
    _run_as(root, "run-a", job_id=alice_job, taxonomy_path="data/demo-skill", owner="alice")
    alice_files = files_of(root / "data/demo-skill")
    assert index_of(root)["data/demo-skill"]["owner"] == "alice"

    def refused(kind: str, run_id: str, **fields: Any) -> str:
        with pytest.raises(ApplicationError) as err:
            _run_as(root, run_id, **fields)
        assert err.value.type == kind and err.value.non_retryable, err.value
        return str(err.value)

    bob_job = _draft(root, "data/demo-skill", "demo-skill", "# Bob's\n")
    for overwrite in (False, True):
        message = refused("not_owner", f"run-b{overwrite}", job_id=bob_job,
                          taxonomy_path="data/demo-skill", owner="bob", overwrite=overwrite)
        assert "belongs to another user" in message
    assert files_of(root / "data/demo-skill") == alice_files

    # the same name in another category is refused, for admins too
    other = _draft(root, "writing/demo-skill", "demo-skill")
    message = refused("name_taken", "run-c", job_id=other, taxonomy_path="writing/demo-skill",
                      owner="bob", admin=True, overwrite=True)
    assert "data/demo-skill" in message and "unique" in message
    assert not (root / "writing").exists()

    # the owner replaces only with overwrite; the old version is kept
    mine = _draft(root, "data/demo-skill", "demo-skill", "# Alice v2\n")
    refused("target_exists", "run-d", job_id=mine, taxonomy_path="data/demo-skill",
            owner="alice")
    _run_as(root, "run-e", job_id=mine, taxonomy_path="data/demo-skill", owner="alice",
            overwrite=True)
    assert "Alice v2" in (root / "data/demo-skill/SKILL.md").read_text()
    [kept] = (root / "_versions/data/demo-skill").iterdir()
    assert files_of(kept) == alice_files
    assert json.loads((kept / JOB_MARKER).read_text())["job_id"] == alice_job

    # an admin may replace anyone's skill; the new owner is the job's user
    _run_as(root, "run-f", job_id=bob_job, taxonomy_path="data/demo-skill", owner="bob",
            admin=True, overwrite=True)
    assert "Bob's" in (root / "data/demo-skill/SKILL.md").read_text()
    assert index_of(root)["data/demo-skill"]["owner"] == "bob"
    assert len(list((root / "_versions/data/demo-skill").iterdir())) == 2

    # a hand-made skill without an owner: only an admin replaces it
    (root / "data" / "hand-made").mkdir()
    (root / "data/hand-made/SKILL.md").write_text("---\nname: hand-made\n---\n# Mine\n")
    hand = _draft(root, "data/hand-made", "hand-made")
    message = refused("not_owner", "run-g", job_id=hand, taxonomy_path="data/hand-made",
                      owner="bob", overwrite=True, skill_name="hand-made")
    assert "no recorded owner" in message


def test_activity_keeps_a_bounded_number_of_versions(tmp_path: Path) -> None:
    root, job_id = _library(tmp_path)
    for n in range(KEEP_VERSIONS + 3):
        _run_as(root, f"run-{n}", job_id=job_id, taxonomy_path="data/demo-skill",
                owner="alice", overwrite=True)
    assert len(list_versions(root, ["data", "demo-skill"])) == KEEP_VERSIONS
    # the library lists and serves only the live skill, never a kept version
    assert [e.taxonomy_path for e in list_skills(root)] == ["data/demo-skill"]
