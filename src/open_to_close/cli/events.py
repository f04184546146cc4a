"""``otc events poll``: the change feed by hand: what changed in Open To Close since the last
poll, as the guide's webhook events."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from .._urls import STATE_URL
from ._errors import FAILED, exit_code, fail, one_line
from ._options import service_state

events_app = typer.Typer(
    rich_markup_mode=None,
    help="Events made by reading the API (the live API sends no webhooks).",
    short_help="Events read from the API (a change feed).",
)


def _show(events: list[dict[str, Any]], as_json: bool, requests: int) -> None:
    if as_json:
        for event in events:
            typer.echo(json.dumps(event, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not events:
        console.print(f"No changes since the last poll ({requests} request(s) to the API).")
        return
    table = Table("event", "id", "address", "status", "previous status")
    for event in events:
        record = event.get("property") or event.get("task") or {}
        table.add_row(
            event["event_type"],
            str(record.get("id", "")),
            str(record.get("address") or record.get("title") or ""),
            str(record.get("status") or ""),
            str(event.get("previous_status") or ""),
        )
    console.print(table)
    console.print(f"{len(events)} event(s), {requests} request(s) to the API")


@events_app.command("poll")
def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit.")] = False,
    every: Annotated[
        float, typer.Option(min=1.0, metavar="SECONDS", help="Seconds between polls.")
    ] = 60.0,
    state: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Where snapshots are kept. Default: $OTC_EVENTS_STATE, else the state url "
            f"in ./otc.toml, else {STATE_URL} (otc serve's too).",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option(metavar="NAME", help="The feed's name within the state.")
    ] = "default",
    tasks: Annotated[
        bool, typer.Option("--tasks", help="Also read each property's tasks.")
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option(
            min=0.01, max=1.0, metavar="FRACTION", help="Share of the client's rate to use."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
) -> None:
    """Read the API, compare with the last poll, print the events found."""
    from ..client import OpenToCloseAPI
    from ..events import ChangeFeed
    from ..events.state import STATE_ENV
    from ..exceptions import AuthenticationError, ConfigurationError, OpenToCloseAPIError

    try:
        client = OpenToCloseAPI()
    except (AuthenticationError, ConfigurationError) as exc:
        fail(str(exc), exit_code(exc))
    resources = ("properties", "tasks") if tasks else ("properties",)
    state = state or os.environ.get(STATE_ENV) or service_state()
    with one_line():
        feed = ChangeFeed(client, state=state, name=name, resources=resources, budget=budget)
    with client, feed:
        while True:
            try:
                found = feed.poll_once()
            except OpenToCloseAPIError as exc:
                fail(f"the poll failed: {exc}", FAILED)
            except KeyboardInterrupt:
                return
            _show(found, as_json, feed.requests)
            if once:
                return
            try:
                feed._stop.wait(every)
            except KeyboardInterrupt:
                return


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
