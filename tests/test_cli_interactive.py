"""The `skill-fleet` command in a pseudo-terminal: a whole journey answered at the prompts,
and Ctrl-C detaching from a waiting job that `attach` then finishes."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pexpect

from tests.support import LocalStack, get_job
from tests.test_cli import VAGUE_TASK, cli_command

ANSI = r"(?:\x1b\[[0-9;]*m)*"
JOB_ID = re.compile(rf"Created job {ANSI}([0-9a-f-]{{36}})")


def _interruptible() -> None:
    """The CLI starts as from a person's terminal: SIGINT deliverable, default action.

    A blocked or ignored SIGINT survives fork and exec; in full-suite runs the Ctrl-C test
    saw its ^C echoed and nothing else, never when run alone.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(api_url: str, *args: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_FLEET_")}
    env.update(SKILL_FLEET_API_URL=api_url, TERM="xterm-256color")
    command, *rest = cli_command()
    child = pexpect.spawn(command, [*rest, *args], env=env, encoding="utf-8", timeout=60,
                          dimensions=(50, 140), preexec_fn=_interruptible)
    return child


def answer_clarify(child: pexpect.spawn, subject: str) -> None:
    child.expect(r"checkpoint: clarify \(prompt 1\)")
    child.expect("What should the skill work on")
    child.expect("Answer:")
    child.sendline(subject)
    child.expect("What should the skill produce")
    child.expect(r"2\) Checklist")
    child.expect(r"Choice \[1-3\]:")
    child.sendline("2")
    child.expect("Should the skill include worked examples")
    child.expect(r"\[y/n\]:")
    child.sendline("y")
    child.expect(r"Action \[proceed/cancel\] \(proceed\):")
    child.sendline("")


def finish(child: pexpect.spawn) -> str:
    child.expect("Completed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def test_interactive_journey_through_every_checkpoint(
    api_url: str, http: httpx.Client, stack: LocalStack
) -> None:
    child = spawn(api_url, "create", VAGUE_TASK, "--confirm", "--preview", "--review")
    child.expect(JOB_ID)
    job_id = child.match.group(1)
    answer_clarify(child, "reviewing python pull requests")

    # confirm: revise with feedback, then proceed on the new prompt
    child.expect(r"checkpoint: confirm \(prompt 2\)")
    child.expect(r"review(ing)?-python-pull-requests")  # the name the offline author plans
    child.expect(r"Action \[proceed/revise/cancel/edit\] \(proceed\):")
    child.sendline("revise")
    child.expect("Feedback")
    child.sendline("Focus on security issues too.")
    child.expect("answer accepted: revise")
    child.expect(r"checkpoint: confirm \(prompt 3\)")
    child.expect("cannot rewrite the plan from free text")  # the offline author says so
    child.expect(r"revisions used 1, left 2")
    child.expect(r"Action \[proceed/revise/cancel/edit\]")
    child.sendline("proceed")

    # preview: SKILL.md rendered (frontmatter, then the body's sections)
    child.expect(r"checkpoint: preview \(prompt 4\)")
    child.expect(r"review(ing)?-python-pull-requests")  # the name the offline author plans
    child.expect("When to Use")
    child.expect(r"Action \[proceed/revise/cancel/edit\]")
    child.sendline("p")

    # validate: the report as a table
    child.expect(r"checkpoint: validate \(prompt 5\)")
    child.expect(r"Validation .*PASSED")
    child.expect("trigger_clarity")
    child.expect(r"Action \[proceed/revise/cancel\]")
    child.sendline("proceed")

    tail = finish(child)
    job = get_job(http, job_id)
    assert job["status"] == "completed"
    assert job["revisions"] == {"confirm": 1}
    assert job["clarifications"] == {"subject": "reviewing python pull requests",
                                     "output": "checklist", "examples": True}
    assert job["draft_path"] and stack.on_disk(job["draft_path"]).is_dir()
    assert "draft:" in tail and Path(job["draft_path"]).name in tail


def test_ctrl_c_detaches_and_attach_continues(api_url: str, http: httpx.Client) -> None:
    child = spawn(api_url, "create", VAGUE_TASK, "--confirm")
    child.expect(JOB_ID)
    job_id = child.match.group(1)
    child.expect("What should the skill work on")
    child.expect("Answer:")
    time.sleep(0.5)  # a person presses Ctrl-C while the question waits, not as it is printed
    child.sendintr()
    child.expect("Detached")
    child.expect(f"skill-fleet attach {ANSI}{job_id}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130

    job = get_job(http, job_id)  # the job did not notice: still waiting on the same prompt
    assert job["status"] == "pending_user_input"
    assert job["prompt"]["prompt_id"] == 1

    child = spawn(api_url, "attach", job_id)
    child.expect(f"Attached to job {ANSI}{job_id}")
    answer_clarify(child, "writing git commit messages")
    child.expect(r"checkpoint: confirm \(prompt 2\)")
    child.expect(r"Action \[proceed/revise/cancel/edit\]")
    child.sendline("")
    finish(child)
    job = get_job(http, job_id)
    assert job["status"] == "completed"
    assert job["clarifications"]["subject"] == "writing git commit messages"
