"""The `skill-fleet` command: run the stack, create and follow jobs, answer checkpoints.

Every command that talks to the API maps failures to documented exit codes (see
`cli.exits`), so scripts can branch on them; `--json` gives machine-readable output.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from cli import create_hold
from cli.answers import AnswerError, parse_answers
from cli.api_key import resolve_api_key
from cli.client import DEFAULT_API_URL, ApiClient
from cli.edits import EditError, option_edits
from cli.exits import EPILOG, CliError, ExitCode
from cli.follow import follow
from cli.render import (
    answer_lines,
    job_panel,
    jobs_listing,
    page_link,
    print_json,
    report_view,
    skills_table,
)
from cli.serve import register_server_commands
from common.job_terms import TimeoutAction
from workflows.models import HitlAction, HitlPrompt, JobStatus, Phase

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="skill-fleet",
    help="Turn task descriptions into Agent Skills, with a human at the checkpoints.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: long paths and ids stay on one line (copyable), even at 80 columns.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class Target:
    """Where the API is and how to authenticate, from the global options."""

    api_url: str
    api_key: str | None


@app.callback()
def _main(
    ctx: typer.Context,
    api_url: Annotated[str, typer.Option(
        "--api-url", envvar="SKILL_FLEET_API_URL", help="The skill-fleet API.")] = DEFAULT_API_URL,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="SKILL_FLEET_API_KEY", show_default=False,
        help="API key, sent as a Bearer token. Prefer SKILL_FLEET_API_KEY or --api-key-file: "
             "on the command line a key is visible to other local users (ps) and stays in "
             "shell history.")] = None,
    api_key_file: Annotated[Path | None, typer.Option(
        "--api-key-file", envvar="SKILL_FLEET_API_KEY_FILE", show_default=False,
        dir_okay=False, help="Read the API key from this file (e.g. one only you can read).",
    )] = None,
) -> None:
    ctx.obj = Target(api_url, resolve_api_key(ctx, api_key, api_key_file, err))


def _reports_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a `CliError` into a one-line message on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CliError as e:
            err.print(f"[red]error:[/] {escape(e.message)}")
            if e.hint:
                err.print(f"[dim]hint: {escape(e.hint)}[/]")
            raise typer.Exit(int(e.code)) from None
        except AnswerError as e:
            raise typer.BadParameter(str(e), param_hint="--answer") from None

    return wrapper


@contextmanager
def _client(ctx: typer.Context) -> Iterator[ApiClient]:
    target: Target = ctx.obj
    with ApiClient(target.api_url, target.api_key) as client:
        yield client


def _exit(code: ExitCode) -> None:
    if code is not ExitCode.OK:
        raise typer.Exit(int(code))


def _print_result(result: BaseModel, json_out: bool, human: Callable[[], object]) -> None:
    """A command's result: its JSON for scripts (`--json`), else what a person reads (one
    thing to print, or a list of them)."""
    if json_out:
        print_json(result.model_dump(mode="json"))
        return
    shown = human()
    for item in shown if isinstance(shown, list) else [shown]:
        out.print(item)


M = TypeVar("M", bound=BaseModel)


def _call_and_print(ctx: typer.Context, json_out: bool, call: Callable[[ApiClient], M],
                    human: Callable[[M, str], object]) -> None:
    """The shape of most commands: one API call, then its result for a script or a person
    (`human` gets the result and the API's base URL, for links)."""
    with _client(ctx) as client:
        result = call(client)
    _print_result(result, json_out, lambda: human(result, client.base_url))


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
JobArg = Annotated[str, typer.Argument(help="The job id.", show_default=False)]


# ---------------------------------------------------------------------- running the stack


register_server_commands(app)


# ---------------------------------------------------------------------- jobs


@app.command(epilog=EPILOG)
@_reports_errors
def create(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="What the skill should help with.",
                                        show_default=False)],
    confirm: Annotated[bool, typer.Option("--confirm", help="Stop to confirm the plan.")] = False,
    preview: Annotated[bool, typer.Option("--preview", help="Stop to review SKILL.md.")] = False,
    review: Annotated[bool, typer.Option(
        "--review", help="Stop to review the validation report.")] = False,
    wait: Annotated[bool | None, typer.Option(
        "--wait/--no-wait", show_default=False,
        help="Follow the job live and answer checkpoints \\[default: on a terminal].")] = None,
    json_out: JsonOpt = False,
    user: Annotated[str | None, typer.Option(
        envvar="SKILL_FLEET_USER", help="Owner of the job (admins and open mode).")] = None,
    hitl_timeout: Annotated[float | None, typer.Option(
        min=1, help="Seconds each checkpoint waits for an answer.")] = None,
    on_hitl_timeout: Annotated[TimeoutAction | None, typer.Option(
        help="What an unanswered checkpoint does.")] = None,
) -> None:
    """Create a skill job; on a terminal, follow it and answer its checkpoints."""
    if wait is None:
        wait = sys.stdout.isatty()
    console = err if json_out else out
    hold = create_hold.hold_for(wait, confirm=confirm, preview=preview, review=review)
    with _client(ctx) as client:
        created, interrupted = create_hold.create(
            client, console, hold, task=task, user_id=user, confirm=confirm, preview=preview,
            review=review, hitl_timeout_seconds=hitl_timeout,
            on_hitl_timeout=on_hitl_timeout.value if on_hitl_timeout else None,
        )
        if interrupted:
            console.print(f"\n[yellow]Detached.[/] Job {created.job_id} keeps running; attach "
                          f"with [bold]skill-fleet attach {created.job_id}[/]", highlight=False)
            _exit(ExitCode.DETACHED)
        if not wait:
            if json_out:
                print_json(created.model_dump(mode="json", exclude_unset=True))
            else:
                out.print(f"Created job [bold]{created.job_id}[/] ({created.status.value}).")
                out.print(f"  follow it:  skill-fleet attach {created.job_id}\n"
                          f"  status:     skill-fleet show {created.job_id}")
            return
        if not json_out:
            out.print(f"Created job [bold]{created.job_id}[/]")
        _follow(client, created.job_id, json_out=json_out, attach=False,
                first_prompt=created.prompt)


@app.command(epilog=EPILOG)
@_reports_errors
def attach(ctx: typer.Context, job: JobArg, json_out: JsonOpt = False) -> None:
    """Follow a job again (after Ctrl-C or from another terminal) and answer its checkpoints."""
    with _client(ctx) as client:
        _follow(client, job, json_out=json_out, attach=True)


def _follow(client: ApiClient, job_id: str, *, json_out: bool, attach: bool,
            first_prompt: HitlPrompt | None = None) -> None:
    # With --json, stdout carries only the final job; progress and notes go to stderr.
    console = err if json_out else out
    interactive = not json_out and sys.stdin.isatty() and sys.stdout.isatty()
    code, view = follow(client, job_id, console, attach=attach, interactive=interactive,
                        known=[first_prompt] if first_prompt else [])
    if json_out and view is not None:
        print_json(view.model_dump(mode="json"))
    _exit(code)


@app.command(epilog=EPILOG)
@_reports_errors
def jobs(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    phase: Annotated[Phase | None, typer.Option(help="Only jobs in this phase.")] = None,
    mine: Annotated[bool, typer.Option(
        "--mine", help="Only my jobs: SKILL_FLEET_USER, else 'default' in open mode "
                       "(API keys of plain users only ever see their own).")] = False,
    user: Annotated[str | None, typer.Option(help="Only this user's jobs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Page size.")] = 50,
    page_token: Annotated[str | None, typer.Option(help="Continue a listing.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List jobs, newest first."""
    target: Target = ctx.obj
    if mine and not user:
        user = os.environ.get("SKILL_FLEET_USER") or (None if target.api_key else "default")
    _call_and_print(
        ctx, json_out,
        lambda client: client.list_jobs(status=status.value if status else None, user_id=user,
                                        phase=phase.value if phase else None, page_size=limit,
                                        page_token=page_token),
        lambda page, _: jobs_listing(page, out.width))


@app.command(epilog=EPILOG)
@_reports_errors
def show(ctx: typer.Context, job: JobArg, json_out: JsonOpt = False) -> None:
    """Show one job: status, phase, pending checkpoint, draft, validation."""
    _call_and_print(ctx, json_out, lambda client: client.job(job),
                    lambda view, base_url: job_panel(view, link=page_link(base_url, view.job_id)))


@app.command(epilog=EPILOG)
@_reports_errors
def respond(
    ctx: typer.Context,
    job: JobArg,
    action: Annotated[HitlAction, typer.Option(help="What to do at the checkpoint.",
                                               show_default=False)],
    feedback: Annotated[str | None, typer.Option(help="What to change (with revise).")] = None,
    answer: Annotated[list[str] | None, typer.Option(
        help="A clarify answer KEY=VALUE (repeat); booleans true/false, multi a,b,c.",
        show_default=False)] = None,
    prompt_id: Annotated[int | None, typer.Option(
        min=1, help="The prompt answered \\[default: the pending one].")] = None,
    accept_suggestions: Annotated[bool | None, typer.Option(
        "--accept-suggestions/--reject-suggestions", show_default=False,
        help="structure_fix: take the suggested name/description.")] = None,
    skill_name: Annotated[str | None, typer.Option(
        help="structure_fix, confirm: your own name.")] = None,
    description: Annotated[str | None, typer.Option(
        help="structure_fix, confirm: your own description.")] = None,
    category: Annotated[str | None, typer.Option(
        help="confirm: the category, e.g. devops or devops/observability.")] = None,
    outline: Annotated[list[str] | None, typer.Option(
        help="confirm: a planned section (repeat, in order).", show_default=False)] = None,
    skill_md: Annotated[Path | None, typer.Option(
        help="preview: your SKILL.md (a file); it becomes a version you wrote.")] = None,
    file: Annotated[list[str] | None, typer.Option(
        help="preview: bundle PATH=LOCAL_FILE (repeat).", show_default=False)] = None,
    remove_file: Annotated[list[str] | None, typer.Option(
        help="preview: remove a bundled file (repeat).", show_default=False)] = None,
    edits: Annotated[Path | None, typer.Option(
        help="A JSON file with any edit fields (skill_name, description, category, outline, "
             "skill_md, files).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Answer a job's pending checkpoint without prompts (for scripts)."""
    try:
        edit_body = option_edits(category=category, outline=outline, skill_md=skill_md,
                                 files=file, remove_files=remove_file, edits_file=edits)
    except EditError as err:
        raise typer.BadParameter(str(err)) from err
    if action is HitlAction.REVISE and not (feedback or edit_body or skill_name or description):
        raise typer.BadParameter("--feedback (or an edit) is required with --action revise",
                                 param_hint="--feedback")
    with _client(ctx) as client:
        questions: dict[str, dict[str, Any]] = {}
        if prompt_id is None or answer:
            pending = client.prompt(job)
            if pending.prompt is None and prompt_id is None:
                raise CliError(f"job {job} is not waiting for an answer "
                               f"(status {pending.status.value})", ExitCode.CONFLICT)
            if pending.prompt is not None:
                prompt_id = prompt_id or pending.prompt.prompt_id
                if pending.prompt.prompt_id == prompt_id:
                    questions = {q["id"]: q for q in pending.prompt.data.get("questions", [])}
        body: dict[str, Any] = {"prompt_id": prompt_id, "action": action.value, **edit_body}
        optional = {"feedback": feedback, "skill_name": skill_name, "description": description,
                    "accept_suggestions": accept_suggestions,
                    "answers": parse_answers(answer, questions) if answer else None}
        body.update({k: v for k, v in optional.items() if v is not None})
        ack = client.respond(job, body)
    _print_result(ack, json_out, lambda: answer_lines(ack, client.base_url))


@app.command(epilog=EPILOG)
@_reports_errors
def cancel(ctx: typer.Context, job: JobArg, json_out: JsonOpt = False) -> None:
    """Cancel a job (its draft is removed)."""
    _call_and_print(ctx, json_out, lambda client: client.cancel(job),
                    lambda result, _: f"Job {job} is {result.status}.")


@app.command(epilog=EPILOG)
@_reports_errors
def promote(
    ctx: typer.Context,
    job: JobArg,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite/--no-overwrite",
        help="Replace your existing skill at the target (kept in _versions/).")] = False,
    delete_draft: Annotated[bool, typer.Option(
        "--delete-draft", help="Remove the draft after copying it.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Promote even though validation failed.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Promote a completed job's draft into the skills library."""
    _call_and_print(
        ctx, json_out,
        lambda client: client.promote(job, overwrite=overwrite, delete_draft=delete_draft,
                                      force=force),
        lambda result, _: f"Promoted to {escape(result.final_path)} "
                          f"({escape(result.taxonomy_path)}).")


@app.command(epilog=EPILOG)
@_reports_errors
def skills(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List the skills in the library."""
    with _client(ctx) as client:
        entries = client.skills()
    if json_out:
        print_json([s.model_dump(mode="json") for s in entries])
    elif not entries:
        out.print("No skills yet.")
    else:
        out.print(skills_table(entries))


@app.command(epilog=EPILOG)
def validate(
    path: Annotated[Path, typer.Argument(exists=True, help="A skill folder (or its SKILL.md).",
                                         show_default=False)],
    all_checks: Annotated[bool, typer.Option(
        "--all-checks", help="List passing checks too.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Validate a skill folder offline with the same validator jobs use (exit 1 if it fails)."""
    from skill_format import validate_folder

    folder = path.parent if path.is_file() else path
    report = validate_folder(folder)
    _print_result(report, json_out, lambda: report_view(report, all_checks=all_checks))
    _exit(ExitCode.OK if report.passed else ExitCode.FAILED)


if __name__ == "__main__":
    app()
