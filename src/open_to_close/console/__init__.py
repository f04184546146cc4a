"""The operations console: ``otc serve`` shows the integration at ``/console``.

Server-rendered pages (Starlette + Jinja2, the ``console`` extra) for the people who keep
an integration running: health, sync runs and their failed rows, two-way conflicts, the
queue's dead letters, received events (with replay) and the properties the integration
knows. Closed by default: it is on only when ``OTC_CONSOLE_TOKEN`` (``[console]
token_env``) holds a sign-in token. See docs/console.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import ConsoleSection

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..service.components import Components
    from .journal import EventJournal

__all__ = ["ConsoleSection", "create_console", "open_journal"]


def create_console(components: Components) -> Starlette | None:
    """The console app for the service's ``components`` (None when it is off)."""
    from .app import create_console as create

    return create(components)


def open_journal(config: Any) -> EventJournal | None:
    """The event journal of a service config, or None when neither the console nor
    ``[console] journal`` asks for it."""
    settings: ConsoleSection = config.console
    if not settings.journal_on:
        return None
    from .journal import EventJournal

    return EventJournal(
        config.state.url, keep_events=settings.keep_events, keep_days=settings.keep_days
    )
