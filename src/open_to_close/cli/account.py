"""``otc account``: what to run first against a real account.

It checks the key, shows what a create will use (team member, time zone), whether the
API announces its rate limit, and the account's property fields; with
``--mapping-template`` it writes a starter mapping file for ``otc sync`` instead.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._errors import FAILED, exit_code, fail
from ._options import ApiKey, BaseUrl, config_option

if TYPE_CHECKING:
    from ..client import OpenToCloseAPI

ConfigFile = Annotated[
    str | None,
    config_option("A client settings file (JSON or TOML: api_key, base_url, team_member_id...)."),
]


def _client(api_key: str | None, base_url: str | None, config: str | None) -> OpenToCloseAPI:
    from ..client import OpenToCloseAPI

    options: dict[str, Any] = {}
    if api_key:
        options["api_key"] = api_key
    if base_url:
        options["base_url"] = base_url
    if config:
        return OpenToCloseAPI.from_config(config, **options)
    return OpenToCloseAPI(**options)


def account(
    mapping_template: Annotated[
        bool,
        typer.Option(
            "--mapping-template",
            help="Print a starter mapping file for otc sync (TOML) with this account's "
            "field keys and status options, instead of the report.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    config: ConfigFile = None,
) -> None:
    """Check the API key and show what the account gives creates and sync."""
    from ..account import inspect_account
    from ..account import mapping_template as template
    from ..exceptions import AuthenticationError, ConfigurationError, OpenToCloseAPIError

    try:
        client = _client(api_key, base_url, config)
    except (AuthenticationError, ConfigurationError) as exc:
        fail(str(exc), exit_code(exc))
    with client:
        try:
            report = inspect_account(client)
        except AuthenticationError as exc:
            fail(f"the API key was refused: {exc}", FAILED)
        except OpenToCloseAPIError as exc:
            fail(f"the account could not be read: {exc}", FAILED)
    if mapping_template:
        typer.echo(template(report), nl=False)
    elif as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report)


def _print(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]Account at {report.base_url}[/]")
    console.print("  API key: [green]works[/]")
    console.print(f"  creates use team member: {report.member_text}")
    console.print(f"  time zone: {report.time_zone_text}")
    console.print(f"  rate-limit headers: {report.rate_limit_text}")
    console.print(f"  property fields: {len(report.fields)}")
    table = Table(expand=True)
    # A key is copied into a mapping: folded whole, never cut with "…"; it gets the most room.
    for column, share in (("key", 3), ("title", 2), ("type", 1), ("options", 2), ("flat name", 1)):
        table.add_column(column, overflow="fold", ratio=share)
    for field in report.fields:
        options = ", ".join(o["title"] for o in field.get("options", ()))
        table.add_row(field["key"], field["title"], field["type"], options, field["flat"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("account", short_help="Check the API key; show the account's fields.")(account)
