"""``otc sync push|pull|two-way|conflicts|history``: run sync jobs from files and tables."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._urls import STATE_URL
from ._errors import describe, exit_code, fail
from ._options import ApiKey, BaseUrl, service_state

if TYPE_CHECKING:
    from rich.console import Console

    from ..client import OpenToCloseAPI
    from ..sync.mapping import FieldMapping
    from ..sync.state import SyncState

State = Annotated[
    str | None,
    typer.Option(
        "--state",
        metavar="URL",
        help="Database of the sync state. Default: $OTC_SYNC_STATE, else the state url in "
        f"./otc.toml, else {STATE_URL} (otc serve's too, shared with its jobs).",
    ),
]
Job = Annotated[
    str | None,
    typer.Option(
        "--job",
        metavar="NAME",
        help="Name of the job in the state (default: the command and the file or table, "
        "e.g. push:listings.csv).",
    ),
]
JobFilter = Annotated[
    str | None, typer.Option("--job", metavar="NAME", help="Only this job (default: every job).")
]
Endpoint = Annotated[
    str, typer.Argument(metavar="FILE_OR_URL", help="A .csv or .jsonl file, or a database URL.")
]
Table = Annotated[
    str | None,
    typer.Option("--table", metavar="TABLE", help="Table, when the source is a database URL."),
]
MappingFile = Annotated[
    Path | None,
    typer.Option(
        "--mapping", metavar="FILE", help="Mapping file (.json or .toml) over the defaults."
    ),
]
Encoding = Annotated[
    str,
    typer.Option(
        "--encoding", metavar="ENCODING", help="The file's text encoding, e.g. cp1252 or latin-1."
    ),
]
Delimiter = Annotated[
    str,
    typer.Option("--delimiter", metavar="CHAR", help="A CSV file's delimiter, e.g. ';' or '\\t'."),
]
IdField = Annotated[
    str | None,
    typer.Option(
        "--external-id-field",
        metavar="KEY",
        help="Property field key that keeps the source id (e.g. sisu_id_number); "
        "default: the mapping file's external_id_field.",
    ),
]

sync_app = typer.Typer(
    rich_markup_mode=None,  # plain help: no <bool> beside flags, no boxes to wrap
    help="Sync properties with CSV, JSON Lines files and SQL tables.",
    no_args_is_help=True,
)


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr)


@contextmanager
def _clear_errors() -> Iterator[None]:
    """A problem ends with one readable line: exit 2 for what the user must fix (a bad
    mapping, file or URL, no key), 1 for what failed while running (the API, a database,
    a job locked by another run)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..exceptions import OpenToCloseAPIError
    from ..sync import SyncLockedError

    try:
        yield
    except KeyboardInterrupt:
        _console(stderr=True).print("interrupted; run again to resume")
        raise typer.Exit(130) from None
    # SQLAlchemyError: the state or a table's database, unreachable or refusing.
    except (
        OpenToCloseAPIError,
        SyncLockedError,
        SQLAlchemyError,
        ValueError,
        ImportError,
        OSError,
    ) as exc:
        fail(describe(exc), exit_code(exc))


def _state(url: str | None, *, must_exist: bool = False) -> SyncState:
    """The state; ``must_exist`` for commands that only read it (a typo creates nothing).
    Without a URL: otc serve's (its ./otc.toml's, else the default both use)."""
    from ..sync import SyncState

    chosen = url or os.environ.get("OTC_SYNC_STATE") or service_state() or STATE_URL
    return SyncState(chosen, must_exist=must_exist)


def _mapping(path: Path | None) -> FieldMapping:
    from ..sync import FieldMapping, load_mapping

    return load_mapping(path) if path is not None else FieldMapping()


def _client(api_key: str | None, base_url: str | None) -> OpenToCloseAPI:
    from ..client import OpenToCloseAPI

    return OpenToCloseAPI(api_key, base_url)


def _delimiter(text: str) -> str:
    value = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(value) != 1:
        raise typer.BadParameter("one character, or \\t for a tab", param_hint="--delimiter")
    return value


def _job(job: str | None, kind: str, spec: str, table: str | None) -> str:
    return job or f"{kind}:{table or Path(spec).name}"


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), console=_console(), transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _summary(title: str, rows: list[tuple[str, Any]]) -> None:
    from rich.table import Table as RichTable

    table = RichTable(title=title, show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in rows:
        table.add_row(name, str(value))
    _console().print(table)


def _errors_table(errors: list[dict[str, Any]], limit: int = 20) -> None:
    if not errors:
        return
    from rich.table import Table as RichTable

    table = RichTable("where", "id", "error", title=f"Failed records ({len(errors)})")
    for error in errors[:limit]:
        table.add_row(
            str(error.get("row", "")), str(error.get("external_id") or ""), error["error"]
        )
    console = _console()
    console.print(table)
    if len(errors) > limit:
        console.print(f"... and {len(errors) - limit} more")


def push(
    source: Endpoint,
    table: Table = None,
    mapping: MappingFile = None,
    state: State = None,
    job: Job = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Send unchanged records too.")] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=64, metavar="N", help="Writes in flight at once.")
    ] = 32,
    external_id_field: IdField = None,
    encoding: Encoding = "utf-8",
    delimiter: Delimiter = ",",
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Push records from a file or table into Open To Close (creates, updates, skips)."""
    from ..sync import PropertySyncService
    from ..sync.endpoints import open_source

    with _clear_errors():
        field_mapping = _mapping(mapping)
        src = open_source(
            source, table, field_mapping, encoding=encoding, delimiter=_delimiter(delimiter)
        )
        store, client = _state(state), _client(api_key, base_url)
        total = src.count() if hasattr(src, "count") else None
        with _progress("pushing", total) as advance:
            service = PropertySyncService(
                client,
                src,
                mapping=field_mapping,
                state=store,
                job=_job(job, "push", source, table),
                max_workers=workers,
                dry_run=dry_run,
                details="errors",
                progress=lambda _action: advance(1),
                external_id_field=external_id_field,
            )
            result = service.sync_properties(force=force)
        client.close()
    title = "Push (dry run)" if dry_run else "Push"  # short: a title wraps to the table
    names = ("processed", "created", "updated", "unchanged", "errors")
    rows = [(name, result[name]) for name in names]
    _summary(title, [*rows, ("requests to find records", result["scan_requests"])])
    _errors_table(result["failures"])
    if dry_run:
        _console().print("Dry run: nothing was written.")
    if result["errors"]:
        raise typer.Exit(1)


def pull(
    dest: Endpoint,
    table: Table = None,
    mapping: MappingFile = None,
    state: State = None,
    job: Job = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Copy properties changed since the last pull into a file or table."""
    from ..sync.endpoints import open_sink
    from ..sync.pull import PropertyPull

    with _clear_errors():
        field_mapping = _mapping(mapping) if mapping else None
        sink, store, client = open_sink(dest, table), _state(state), _client(api_key, base_url)
        with _progress("pulling", None) as advance:
            puller = PropertyPull(
                client,
                sink,
                mapping=field_mapping,
                state=store,
                job=_job(job, "pull", dest, table),
                progress=advance,
            )
            result = puller.pull()
        client.close()
    _summary(
        "Pull",
        [
            ("records written", result["pulled"]),
            ("records read", result["scanned"]),
            ("requests", result["scan_requests"]),
        ],
    )


def two_way(
    external: Endpoint,
    table: Table = None,
    mapping: MappingFile = None,
    strategy: Annotated[
        str,
        typer.Option(
            metavar="STRATEGY", help="latest_wins, otc_wins, external_wins, manual or merge."
        ),
    ] = "latest_wins",
    merge_fallback: Annotated[
        str,
        typer.Option(
            "--merge-fallback",
            metavar="STRATEGY",
            help="For merge: who wins a field both changed.",
        ),
    ] = "latest_wins",
    state: State = None,
    job: Job = None,
    external_id_field: IdField = None,
    encoding: Encoding = "utf-8",
    delimiter: Delimiter = ",",
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Sync both ways with a file or table; conflicts are settled by --strategy."""
    from ..sync import TwoWayPropertySync
    from ..sync.endpoints import open_source

    with _clear_errors():
        field_mapping = _mapping(mapping)
        side = open_source(
            external,
            table,
            field_mapping,
            must_exist=False,
            encoding=encoding,
            delimiter=_delimiter(delimiter),
        )
        store, client = _state(state), _client(api_key, base_url)
        sync = TwoWayPropertySync(
            client,
            side,
            strategy,
            merge_fallback=merge_fallback,
            mapping=field_mapping,
            state=store,
            job=_job(job, "two-way", external, table),
            external_id_field=external_id_field,
        )
        with _progress("syncing both ways", None):
            result = sync.sync_bidirectional()
        client.close()
    from rich.table import Table as RichTable

    summary = RichTable("", "created", "updated", "deleted", "conflicts", title="Two-way sync")
    for label, key in (
        ("Open To Close -> external", "otc_to_external"),
        ("external -> Open To Close", "external_to_otc"),
    ):
        counts = result[key]
        summary.add_row(
            label, *(str(counts[k]) for k in ("created", "updated", "deleted", "conflicts"))
        )
    console = _console()
    console.print(summary)
    for conflict in result["conflicts"]:
        fields = ", ".join(conflict["fields"])
        console.print(f"conflict on {conflict['external_id']} ({fields}): {conflict['resolution']}")
    _errors_table(result["failures"])
    if result["errors"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``otc sync ...`` to the ``otc`` command."""
    from .sync_history import conflicts_app, history

    sync_app.add_typer(conflicts_app, name="conflicts")
    sync_app.command("push", short_help="Push records from a file or table.")(push)
    sync_app.command("pull", short_help="Copy changed properties into a file or table.")(pull)
    sync_app.command("two-way", short_help="Sync both ways with a file or table.")(two_way)
    sync_app.command("history", short_help="The last runs of sync jobs (--run: one run).")(history)
    app.add_typer(sync_app, name="sync")
