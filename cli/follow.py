"""Following a job to its end: live progress, checkpoints answered as they come, Ctrl-C detaches.

A `prompt_raised` event only names a prompt; the job itself says whether that prompt is
still pending. That one check makes replaying history on `attach` safe: answered prompts
are skipped, the pending one is asked.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import closing

from rich.console import Console
from rich.markup import escape

from cli.client import ApiClient
from cli.events import EventFeed
from cli.exits import ExitCode
from cli.interactive import answer_prompt
from cli.render import Tracker, page_link
from workflows.models import HitlPrompt, JobStatus, JobView

# How long a freshly announced prompt may take to show up in the job's published view.
PROMPT_VISIBLE_WITHIN = 5.0


def follow(client: ApiClient, job_id: str, console: Console, *, attach: bool,
           interactive: bool, known: Iterable[HitlPrompt] = ()) -> tuple[ExitCode, JobView | None]:
    """Follow until the job ends (exit code by outcome) or the user detaches with Ctrl-C.

    `known` prompts came in a reply (`create ?wait=`): when the stream raises one of them it
    is asked or announced at once, without reading the job to see it is still pending (an
    answer to a prompt someone else answered meanwhile is refused and re-read).
    """
    fresh = {p.prompt_id: p for p in known}
    tracker = Tracker(console)
    try:
        view = client.job(job_id)
        feed = EventFeed(client, job_id, replay_until=view.events_count if attach else 0)
        feed.on_retry = lambda msg: console.print(f"[yellow]{escape(msg)}[/]")
        if attach:
            console.print(f"Attached to job [bold]{job_id}[/]: {escape(view.task_description)}",
                          highlight=False)
            tracker.show_state(view)
        announced: set[int] = set()
        while True:
            tracker.start()
            pending: HitlPrompt | None = None
            with closing(feed.events()) as events:  # closing drops the stream while we ask
                for event in events:
                    tracker.update(event)
                    if event.terminal:
                        break
                    if event.kind != "prompt_raised":
                        continue
                    raised = int(event.data.get("prompt_id", 0))
                    pending = fresh.pop(raised, None) or _still_pending(client, job_id, raised)
                    if pending and interactive:
                        break
                    if pending and pending.prompt_id not in announced:
                        announced.add(pending.prompt_id)
                        tracker.stop()
                        _announce(console, job_id, pending, client.base_url)
                        tracker.start()
                    pending = None
            tracker.stop()
            if pending is None:
                view = client.job(job_id)
                if view.status.is_terminal:
                    return _finish(console, view), view
                continue  # the stream ended early; carry on from the last event
            answer_prompt(client, job_id, pending, console)
    except (KeyboardInterrupt, EOFError):
        tracker.stop()
        console.print(f"\n[yellow]Detached.[/] Job {job_id} keeps running; re-attach with "
                      f"[bold]skill-fleet attach {job_id}[/]", highlight=False)
        return ExitCode.DETACHED, None
    finally:
        tracker.stop()


def _still_pending(client: ApiClient, job_id: str, prompt_id: int) -> HitlPrompt | None:
    """The prompt if the job still waits on it; None if it was answered (or the job ended)."""
    deadline = time.monotonic() + PROMPT_VISIBLE_WITHIN
    while True:
        view = client.job(job_id)
        if view.prompt and view.prompt.prompt_id == prompt_id:
            return view.prompt
        if view.last_prompt_id >= prompt_id or view.status.is_terminal:
            return None
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def _announce(console: Console, job_id: str, prompt: HitlPrompt, api_url: str) -> None:
    actions = "|".join(a.value for a in prompt.actions)
    console.print(f"[yellow]Waiting for an answer to {prompt.type.value} (prompt "
                  f"{prompt.prompt_id}).[/] Answer with: skill-fleet attach {job_id}  or  "
                  f"skill-fleet respond {job_id} --action {actions}", highlight=False)
    console.print(f"  or in the browser: {escape(page_link(api_url, job_id))}",
                  highlight=False, soft_wrap=True)


def _finish(console: Console, view: JobView) -> ExitCode:
    if view.status is JobStatus.COMPLETED:
        verdict = ("passed" if view.validation_passed else "[yellow]did not pass[/]")
        score = f" (score {view.validation_score:.2f})" if view.validation_score is not None else ""
        console.print(f"[bold green]✔ Completed:[/] {escape(view.skill_name or '')} — "
                      f"validation {verdict}{score}", highlight=False)
        console.print(f"  draft: {escape(view.draft_path or '')}", highlight=False)
        console.print(f"  promote it with: skill-fleet promote {view.job_id}", highlight=False)
        return ExitCode.OK
    if view.status is JobStatus.CANCELLED:
        console.print(f"[yellow]Cancelled:[/] {escape(view.progress_message)}", highlight=False)
        return ExitCode.CANCELLED
    console.print(f"[red]Failed:[/] {escape(view.error or view.progress_message)}",
                  highlight=False)
    return ExitCode.FAILED
