"""The ``otc`` command. Thin: it parses arguments, calls the library, and prints."""

from __future__ import annotations

import typer

from . import account as _account
from . import cache as _cache
from . import demo as _demo
from . import events as _events
from . import queue as _queue
from . import sandbox as _sandbox
from . import serve as _serve
from . import sync as _sync
from . import webhooks as _webhooks
from ._logging import setup_logging

app = typer.Typer(
    rich_markup_mode=None,  # plain help: no <bool> beside flags, no boxes to wrap
    name="otc",
    help="Open To Close: a local sandbox of the API, the demo, sync jobs, webhooks and workers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"open-to-close {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every API call."),
    log_json: bool = typer.Option(
        False, "--log-json", help="Log JSON lines to stderr (also: OTC_LOG_FORMAT=json)."
    ),
) -> None:
    setup_logging(verbose, json_lines=log_json)


# Each command group lives in its own module with a ``register(app)`` function; heavy
# imports happen inside the commands, so ``otc --help`` stays fast.
for _module in (_account, _cache, _demo, _events, _queue, _sandbox, _serve, _sync, _webhooks):
    _module.register(app)


def main() -> None:
    """Entry point of the ``otc`` console script."""
    app()
