"""The console as a Starlette app mounted by ``otc serve`` at ``/console``.

One :class:`Console` per service process holds what the pages share: the service's
components (client, queue, cache, config), the sessions, the Jinja2 templates, the sync
state and the event journal, each opened on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .._optional import MissingDependencyError, require
from .._redact import Secret, redact
from ..exceptions import ConfigurationError
from .auth import Auth, Session
from .fmt import when
from .settings import MIN_TOKEN, ConsoleSection
from .web import SECURITY_HEADERS, SecurityHeaders, endpoint

if TYPE_CHECKING:
    from ..service.components import Components
    from ..sync.state import SyncState
    from .journal import EventJournal
    from .sampler import Sampler

HERE = Path(__file__).parent


# The console's pages, in the order the nav links them.
NAV = (
    ("/console/", "Overview"),
    ("/console/sync", "Sync"),
    ("/console/conflicts", "Conflicts"),
    ("/console/queue", "Queue"),
    ("/console/events", "Events"),
    ("/console/properties", "Properties"),
)


def path_segment(value: object) -> str:
    """``value`` as one segment of a URL path: every reserved character encoded, and a
    segment of dots only (``..``) encoded too, so no browser reads it as "go up"."""
    text = quote(str(value), safe="")
    return text.replace(".", "%2E") if text.strip(".") == "" else text


class Console:
    def __init__(self, components: Components, settings: ConsoleSection, token: Secret) -> None:
        self.components = components
        self.settings = settings
        self.page_size = settings.page_size
        self.auth = Auth(
            token, session_seconds=settings.session_hours * 3600, trust_proxy=settings.trust_proxy
        )
        jinja2 = require("jinja2", "console", "The operations console")
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,  # every template, whatever its name: nothing renders raw
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = when
        self.sync_threads: dict[str, threading.Thread] = {}  # "run now", by job
        self.lock = threading.Lock()
        self.links_imported = float("-inf")  # time.monotonic() of the Properties page's import
        self.templates.filters["redact"] = redact
        self.templates.filters["seg"] = path_segment
        self.templates.globals["nav"] = NAV

    def __repr__(self) -> str:
        return f"<Console {self.auth!r}>"

    @property
    def config(self) -> Any:
        return self.components.config

    @cached_property
    def sync_state(self) -> SyncState:
        from ..sync.state import SyncState

        return SyncState(self.config.state.url)

    @property
    def journal(self) -> EventJournal | None:
        found: EventJournal | None = self.components.journal
        return found

    @cached_property
    def sampler(self) -> Sampler:
        from .sampler import Sampler

        return Sampler(self.components)

    @cached_property
    def checks(self) -> list[Any]:
        return list(self.components.health_checks())

    def start_background(self, key: str, name: str, work: Callable[[], None]) -> bool:
        """Run ``work`` on a daemon thread kept under ``key`` ("run now" of a job, the
        properties read); False, and nothing started, while ``key``'s thread still runs."""
        with self.lock:
            current = self.sync_threads.get(key)
            if current is not None and current.is_alive():
                return False
            thread = threading.Thread(target=work, name=name, daemon=True)
            self.sync_threads[key] = thread
            thread.start()
        return True

    def running(self) -> set[str]:
        """The keys whose background thread still runs."""
        with self.lock:
            return {key for key, thread in self.sync_threads.items() if thread.is_alive()}

    def refused(self, session: Session | None) -> HTMLResponse:
        html = self.templates.get_template("refused.html").render(
            session=session, csrf=session.csrf if session else "", flashes=[], path=""
        )
        return HTMLResponse(html, 403, SECURITY_HEADERS)

    def close(self) -> None:
        state = self.__dict__.get("sync_state")
        if state is not None:
            state.close()
        sampler = self.__dict__.get("sampler")
        if sampler is not None:
            sampler.stop()

    # -- routes ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        from . import (
            conflicts,
            events_pages,
            login,
            overview,
            properties,
            queue_pages,
            sync_pages,
        )

        found: list[BaseRoute] = [*login.routes(self)]
        for module in (overview, sync_pages, conflicts, queue_pages, events_pages, properties):
            for path, view, methods, back in module.PAGES:
                found.append(Route(path, endpoint(self, view, back=back), methods=methods))
        found.append(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"))
        return found


def create_console(components: Components) -> Starlette | None:
    """The console app for ``components``' config, or None when it is off (no token)."""
    settings: ConsoleSection = components.config.console
    token = settings.token()
    if token is None:
        return None
    if len(token.get()) < MIN_TOKEN:
        raise ConfigurationError(
            f"console.token_env: the sign-in token in {settings.token_env} is too short; "
            f"use at least {MIN_TOKEN} random characters"
        )
    try:
        console = Console(components, settings, token)
    except MissingDependencyError as exc:
        raise ConfigurationError(f"console: {exc}") from None
    app = Starlette(routes=console.routes(), middleware=[Middleware(SecurityHeaders)])
    app.state.console = console
    return app
