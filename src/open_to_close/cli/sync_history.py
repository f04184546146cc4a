"""``otc sync conflicts list|resolve`` and ``otc sync history``: what the state holds."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ._errors import USAGE, fail
from .sync import JobFilter, State, _clear_errors, _console, _errors_table, _state

conflicts_app = typer.Typer(
    rich_markup_mode=None,  # plain help: no <bool> beside flags, no boxes to wrap
    help="Conflicts a two-way sync left for a person.",
    no_args_is_help=True,
)


def _values(fields: list[str], values: dict[str, Any] | None) -> str:
    if values is None:
        return "(deleted)"
    return ", ".join(f"{f}={values.get(f)!r}" for f in fields if f in values)


@conflicts_app.command("list")
def conflicts_list(
    state: State = None,
    job: JobFilter = None,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved and applied ones.")] = False,
) -> None:
    """Conflicts waiting for a decision (with --all: every one kept)."""
    from rich.table import Table as RichTable

    with _clear_errors():
        found = _state(state, must_exist=True).conflicts(job, None if all_ else "open")
    if not found:
        where = f" for job {job}" if job else ""
        _console().print(f"No conflicts{where}." if all_ else f"No open conflicts{where}.")
        return
    table = RichTable()
    for column in ("id", "job", "external id", "otc id", "fields"):
        table.add_column(column, overflow="fold")
    for column in ("Open To Close", "external", "status"):  # the values to choose between:
        table.add_column(column, overflow="fold", ratio=1)  # folded, never cut with "…"
    for c in found:
        status = c.status + (f" ({c.resolution})" if c.resolution else "")
        table.add_row(
            str(c.id),
            c.job,
            c.external_id,
            str(c.otc_id),
            ", ".join(c.fields),
            _values(c.fields, c.otc_values),
            _values(c.fields, c.external_values),
            status,
        )
    _console().print(table)


@conflicts_app.command("resolve")
def conflicts_resolve(
    conflict_id: Annotated[
        int, typer.Argument(metavar="ID", help="The id shown by 'otc sync conflicts list'.")
    ],
    use: Annotated[
        str,
        typer.Option(
            "--use",
            metavar="SIDE",
            help="Which side wins: otc or external; or merge, with --field for each field.",
        ),
    ],
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            metavar="FIELD=SIDE",
            help="With --use merge: the side (otc or external) of one field in conflict.",
        ),
    ] = None,
    state: State = None,
) -> None:
    """Decide a conflict; the next otc sync two-way run applies it."""
    if use not in ("otc", "external", "merge"):
        raise typer.BadParameter("use 'otc', 'external' or 'merge'", param_hint="--use")
    if field and use != "merge":
        raise typer.BadParameter("--field goes with --use merge", param_hint="--field")
    choices: dict[str, str] = {}
    for item in field or []:
        name, sep, side = item.partition("=")
        if not sep:
            raise typer.BadParameter(
                f"{item!r}: write FIELD=otc or FIELD=external", param_hint="--field"
            )
        choices[name.strip()] = side.strip()
    with _clear_errors():
        try:
            conflict = _state(state, must_exist=True).resolve_conflict(
                conflict_id, use, choices if use == "merge" else None
            )
        except KeyError:
            fail(f"no conflict with id {conflict_id} (see 'otc sync conflicts list')", USAGE)
        except ValueError as exc:
            fail(f"conflict {conflict_id}: {exc}", USAGE)
    decided = "merged field by field" if use == "merge" else f"{use} wins"
    _console().print(
        f"Conflict {conflict.id} on {conflict.external_id} resolved: {decided}. "
        f"The next 'otc sync two-way' run of job {conflict.job!r} applies it."
    )


def _when(started: str, finished: str | None) -> tuple[str, str]:
    """When a run started, to the minute (UTC), and how long it took."""
    from datetime import datetime

    try:
        start = datetime.fromisoformat(started)
        end = datetime.fromisoformat(finished) if finished else None
    except ValueError:
        return started, finished or "-"
    if end is None:
        return f"{start:%Y-%m-%d %H:%M}", "-"
    seconds = (end - start).total_seconds()
    took = f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f}m"
    return f"{start:%Y-%m-%d %H:%M}", took


def _count(name: str, value: Any) -> str:
    if isinstance(value, dict):  # two-way: one dict per direction, counts in full words
        shown = " ".join(f"{k} {v}" for k, v in value.items() if v)  # (c4: created? conflicts?)
        return f"{name.replace('_', ' ')}: {shown or '-'}"
    return f"{name} {value}"


def history(
    state: State = None,
    job: JobFilter = None,
    limit: Annotated[
        int, typer.Option(min=1, max=1000, metavar="N", help="How many runs to show.")
    ] = 20,
    run_id: Annotated[
        int | None,
        typer.Option("--run", metavar="ID", help="One run, with the records that failed in it."),
    ] = None,
) -> None:
    """The last runs of sync jobs, newest first (with --run: one run and its failed records)."""
    from rich.table import Table as RichTable

    with _clear_errors():
        store = _state(state, must_exist=True)
        runs = store.history(job, limit, run_id)
        failures = store.run_failures(run_id) if run_id is not None else []
    if run_id is not None and not runs:
        fail(f"no run {run_id} in this state (see 'otc sync history')", USAGE)
    if not runs:
        _console().print(f"No runs yet for job {job}." if job else "No runs yet.")
        return
    table = RichTable(title="Sync history")
    for column in ("run", "job", "kind", "status", "started (UTC)", "took"):
        table.add_column(column, no_wrap=column != "job", overflow="fold")  # counts wrap
    table.add_column("counts")
    for run in runs:
        nonzero = [
            (k, v)
            for k, v in run.counts.items()
            if k != "scan_requests" and (any(v.values()) if isinstance(v, dict) else v)
        ]
        counts = ", ".join(_count(k, v) for k, v in nonzero) or "-"
        table.add_row(
            str(run.id),
            run.job,
            run.kind,
            run.status,
            *_when(run.started_at, run.finished_at),
            counts,
        )
    _console().print(table)
    if run_id is not None:
        shown = len(failures)
        _errors_table(failures, limit=shown)
        errors = runs[0].counts.get("errors", 0)
        if isinstance(errors, int) and errors > shown:
            _console().print(f"{errors - shown} more failed; the first {shown} are kept")
