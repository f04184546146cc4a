"""``otc worker`` and ``otc queue stats | dead-letters``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

QUEUE_ENV = "OTC_QUEUE_URL"
DEFAULT_QUEUE = "sqlite:///otc-queue.db"

QueueOption = Annotated[
    str,
    typer.Option(
        "--queue",
        "-q",
        envvar=QUEUE_ENV,
        help="Queue URL: sqlite:///file.db, amqp://..., redis://...",
    ),
]


def open_queue(url: str, visibility_timeout: float = 30.0) -> Any:
    from ..queue import connect

    try:
        return connect(url, visibility_timeout=visibility_timeout)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--queue") from None


def worker(
    queue: QueueOption = DEFAULT_QUEUE,
    imports: Annotated[
        list[str] | None,
        typer.Option(
            "--import",
            "-i",
            help="Module (or module:attribute) whose tasks and webhook handlers to run. "
            "Repeatable.",
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1)] = 1,
    visibility_timeout: Annotated[
        float,
        typer.Option(
            "--visibility-timeout", min=0.1, help="Seconds before a dead worker's task runs again."
        ),
    ] = 30.0,
    stop_when_idle: Annotated[
        bool, typer.Option("--stop-when-idle", help="Exit once nothing is pending or running.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Run the worker role of `otc serve` from this otc.toml (its queue, handlers "
            "and built-ins) instead of --queue/--import.",
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
    from .._sql import require_sqlite_file
    from ..exceptions import ConfigurationError

    try:
        require_sqlite_file(url, "--queue")
    except ConfigurationError as exc:
        raise typer.BadParameter(exc.message, param_hint="--queue") from None
    return open_queue(url)


def stats(queue: QueueOption = DEFAULT_QUEUE) -> None:
    """Counts of pending, running, done and dead tasks."""
    from rich.console import Console
    from rich.table import Table

    q = existing_queue(queue)
    try:
        counts = q.stats()
    finally:
        q.close()
    table = Table("state", "tasks", title=f"queue {q!r}")
    for name in ("pending", "running", "done", "dead"):
        table.add_row(name, str(counts[name]))
    Console().print(table)


def dead_letters(
    queue: QueueOption = DEFAULT_QUEUE,
    retry: Annotated[
        list[str] | None,
        typer.Option("--retry", help="Enqueue this dead letter again. Repeatable."),
    ] = None,
    discard: Annotated[
        list[str] | None, typer.Option("--discard", help="Forget this dead letter. Repeatable.")
    ] = None,
    retry_all: Annotated[
        bool, typer.Option("--retry-all", help="Enqueue every one again.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 100,
) -> None:
    """List dead letters, or retry or discard them by id."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..queue import DeadLetterNotFoundError

    console = Console()
    q = existing_queue(queue)
    try:
        if retry_all:
            retry = [letter["id"] for letter in q.dead_letters()]
        if retry or discard:
            for letter_id in retry or []:
                task_id = q.retry_dead_letter(letter_id)
                console.print(f"dead letter {escape(letter_id)} enqueued again as task {task_id}")
            for letter_id in discard or []:
                q.discard_dead_letter(letter_id)
                console.print(f"dead letter {escape(letter_id)} discarded")
            return
        letters = q.dead_letters(limit)
    except DeadLetterNotFoundError as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from None
    finally:
        q.close()
    if not letters:
        console.print("no dead letters")
        return
    table = Table("id", "task", "attempts", "error", "payload", title="dead letters")
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
    app.command("worker")(worker)
    group = typer.Typer(help="Inspect a task queue and its dead letters.", no_args_is_help=True)
    group.command("stats")(stats)
    group.command("dead-letters")(dead_letters)
    app.add_typer(group, name="queue")
