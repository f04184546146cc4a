"""Options several commands share, and where their defaults come from.

Every option that takes a value names it with a metavar (``N``, ``SECONDS``, ``URL``,
``FILE`` ...), never Click's type names; ``-c`` is ``--config`` wherever it exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

SERVICE_FILE = Path("otc.toml")  # what otc serve reads when no --config is given

ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", metavar="KEY", help="Default: $OPEN_TO_CLOSE_API_KEY."),
]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL", help="Default: $OPEN_TO_CLOSE_BASE_URL."),
]


def config_option(help_text: str) -> Any:
    """``--config FILE`` / ``-c FILE``: the same letter for the same thing everywhere."""
    return typer.Option("--config", "-c", metavar="FILE", help=help_text)


def service_state() -> str | None:
    """The ``[state] url`` of ``otc serve``'s ./otc.toml, when it names one: ``otc sync``
    and ``otc events`` then share the service's locks, links, history and snapshots.
    Without it both use the same default database as the service."""
    import tomllib

    try:
        config = tomllib.loads(SERVICE_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    state = config.get("state")
    if isinstance(state, dict) and isinstance(state.get("url"), str):
        return str(state["url"])
    return None


def require_existing(url: str, default: str, option: str, what: str, made_by: str) -> None:
    """Refuse a SQLite database that isn't there, for a command that only reads or clears it
    (a typo would create an empty one). At the default location, say what makes it."""
    from .._sql import require_sqlite_file
    from ..exceptions import ConfigurationError

    try:
        require_sqlite_file(url, what)
    except ConfigurationError as exc:
        message = exc.message
        if url == default:
            message = (
                f"no such SQLite file {default.removeprefix('sqlite:///')!r} in this folder "
                f"({Path.cwd()}): no {what} here yet ({made_by} make it); run this where "
                f"they run, or give {option} URL"
            )
        raise typer.BadParameter(message, param_hint=option) from None
