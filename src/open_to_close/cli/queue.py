"""``otc worker`` and ``otc queue stats | dead-letters``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from ..queue import DEFAULT_URL
from ._errors import USAGE, fail, one_line
from ._options import config_option, require_existing

QUEUE_ENV = "OTC_QUEUE_URL"

QueueOption = Annotated[
    str,
    typer.Option(
        "--queue",
        "-q",
        envvar=QUEUE_ENV,
        metavar="URL",
        help="Queue URL: sqlite:///file.db, amqp://..., redis://... (otc serve's by default).",
    ),
]


def open_queue(url: str, visibility_timeout: float = 30.0) -> Any:
    from ..queue import connect

    try:
        return connect(url, visibility_timeout=visibility_timeout)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--queue") from None


def worker(
    queue: QueueOption = DEFAULT_URL,
    imports: Annotated[
        list[str] | None,
        typer.Option(
            "--import",
            "-i",
            metavar="MODULE",
            help="Module (or module:attribute) whose tasks and webhook handlers to run. "
            "Repeatable.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, metavar="N", help="Tasks run at once.")
    ] = 1,
    visibility_timeout: Annotated[
        float,
        typer.Option(
            "--visibility-timeout",
            min=0.1,
            metavar="SECONDS",
            help="Seconds before a dead worker's task runs again.",
        ),
    ] = 30.0,
    stop_when_idle: Annotated[
        bool, typer.Option("--stop-when-idle", help="Exit once nothing is pending or running.")
    ] = False,
    config: Annotated[
        Path | None,
        config_option(
            "Run the worker role of otc serve from this otc.toml (its queue, handlers and "
            "built-ins) instead of --queue/--import."
        ),
    ] = None,
) -> None:
    """Run a worker for a queue until Ctrl-C or SIGTERM (running tasks finish first)."""
    if config is not None:
        from .serve import serve_roles

        serve_roles(config, ["worker"])
        return
    from rich.console import Console

    from ._imports import attach, load

    q = open_queue(queue, visibility_timeout)
    found = sum(attach(load(spec, "--import"), q) for spec in imports or [])
    if imports and not found:
        raise typer.BadParameter(
            "no queue tasks or WebhookHandler found in " + ", ".join(imports), param_hint="--import"
        )
    console = Console(stderr=True)
    names = ", ".join(sorted(q.tasks)) or "none registered"
    console.print(f"otc worker on [cyan]{q!r}[/], concurrency {concurrency}; tasks: {names}")
    running = q.worker(concurrency=concurrency)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: running.stop())
    try:
        running.run(stop_when_idle=stop_when_idle)
    finally:
        q.close()
    console.print("worker stopped")


def existing_queue(url: str) -> Any:
    """A queue that is only read or managed: a SQLite file that isn't there is a typo."""
    made_by = "otc serve, otc worker and queue.connect()"
    require_existing(url, DEFAULT_URL, "--queue", "queue", made_by)
    return open_queue(url)


def stats(queue: QueueOption = DEFAULT_URL) -> None:
    """Counts of pending, running, done and dead tasks."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    q = existing_queue(queue)
    try:
        with one_line(f"can't read {q!r}: "):
            counts = q.stats()
    finally:
        q.close()
    table = Table("state", "tasks")
    for name in ("pending", "running", "done", "dead"):
        table.add_row(name, str(counts[name]))
    console = Console()
    console.print(escape(repr(q)))  # a long URL wraps as a line, not as a table's title
    console.print(table)


def _manage(
    q: Any,
    console: Any,
    retry: list[str] | None,
    discard: list[str] | None,
    retry_all: bool,
    limit: int,
) -> list[dict[str, Any]] | None:
    """Retry or discard dead letters (None), or the list of them to show."""
    from rich.markup import escape

    from ..queue import DeadLetterNotFoundError

    if retry_all:
        retry = [letter["id"] for letter in q.dead_letters()]
    if not (retry or discard):
        return list(q.dead_letters(limit))
    try:
        for letter_id in retry or []:
            task_id = q.retry_dead_letter(letter_id)
            console.print(f"dead letter {escape(letter_id)} enqueued again as task {task_id}")
        for letter_id in discard or []:
            q.discard_dead_letter(letter_id)
            console.print(f"dead letter {escape(letter_id)} discarded")
    except DeadLetterNotFoundError as exc:
        fail(str(exc), USAGE)  # an id that isn't there: a bad argument
    return None


def dead_letters(
    queue: QueueOption = DEFAULT_URL,
    retry: Annotated[
        list[str] | None,
        typer.Option("--retry", metavar="ID", help="Enqueue this dead letter again. Repeatable."),
    ] = None,
    discard: Annotated[
        list[str] | None,
        typer.Option("--discard", metavar="ID", help="Forget this dead letter. Repeatable."),
    ] = None,
    retry_all: Annotated[
        bool, typer.Option("--retry-all", help="Enqueue every one again.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="Show at most this many.")] = 100,
) -> None:
    """List dead letters, or retry or discard them by id."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    q = existing_queue(queue)
    try:
        with one_line(f"{q!r}: "):
            letters = _manage(q, console, retry, discard, retry_all, limit)
    finally:
        q.close()
    if letters is None:
        return
    if not letters:
        console.print("no dead letters")
        return
    table = Table("id", "task", "attempts", "error", "payload", title="Dead letters")
    for letter in letters:
        payload = str(letter["payload"])
        table.add_row(
            letter["id"],
            escape(letter["name"]),
            str(letter["attempts"]),
            escape(letter["error"]),
            escape(payload if len(payload) <= 60 else payload[:57] + "..."),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``otc worker`` and the ``otc queue`` group."""
    app.command("worker", short_help="Run a queue's worker until Ctrl-C or SIGTERM.")(worker)
    group = typer.Typer(
        rich_markup_mode=None,
        help="Inspect a task queue and its dead letters.",
        no_args_is_help=True,
    )
    group.command("stats")(stats)
    group.command("dead-letters")(dead_letters)
    app.add_typer(group, name="queue")
