"""The request plumbing every console page shares: the sign-in guard, CSRF checks, form
parsing, rendering with Jinja2 (autoescape everywhere) and the security headers.

A view is a plain function of a :class:`Ctx`; it runs on a worker thread (the stores it
reads block), so a slow database never stalls the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._redact import get_logger, redact
from .auth import Session, same

if TYPE_CHECKING:
    from .app import Console

log = get_logger(__name__)

MAX_FORM = 256 * 1024  # bytes: the largest form body a console page takes
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "content-security-policy": _CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}

View = Callable[["Ctx"], Response]
_WHOLE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: int() takes "²" no more than 10**4300


class BadInput(ValueError):
    """A form or query value a person must fix: shown on the page, status 400."""


@dataclass
class Ctx:
    """One request as a view sees it."""

    console: Console
    request: Request
    session: Session | None
    form: dict[str, list[str]]
    now: list[tuple[str, str]] = field(default_factory=list)  # flashes for this response
    delay: float = 0.0  # seconds to wait (off the worker thread) before answering

    # -- input -----------------------------------------------------------------------------

    def query(self, name: str, default: str = "") -> str:
        return _clean(name, self.request.query_params.get(name, default))

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return _clean(name, values[0]) if values else default

    def fields(self, name: str) -> list[str]:
        return [_clean(name, value) for value in self.form.get(name, [])]

    def path(self, name: str) -> str:
        return _clean(name, str(self.request.path_params[name]))

    def whole(self, text: str, what: str, *, low: int = 1, high: int = 10**12) -> int:
        """``text`` as a whole number in [low, high], or :class:`BadInput` naming ``what``."""
        stripped = text.strip()
        if not _WHOLE.fullmatch(stripped) or not low <= int(stripped) <= high:
            raise BadInput(
                f"{what} must be a whole number from {low} to {high} (got {text[:40]!r})"
            )
        return int(stripped)

    def page(self) -> int:
        raw = self.query("page", "1") or "1"
        return self.whole(raw, "page", high=1_000_000)

    # -- output ----------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        flashes = self.session.take_flashes() if self.session is not None else []
        flashes += self.now
        html = self.console.templates.get_template(template).render(
            session=self.session,
            csrf=self.session.csrf if self.session is not None else "",
            flashes=flashes,
            path=self.request.url.path,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def redirect(self, url: str, kind: str | None = None, text: str = "") -> Response:
        if kind is not None and self.session is not None:
            self.session.flash(kind, text)
        return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)

    def cursor_page(
        self, fetch: Callable[[int, Any, Any], list[Any]], key: Callable[[Any], Any]
    ) -> tuple[list[Any], dict[str, str | None]]:
        """A page of a list kept newest first, and its pager links: ``?before=<key>``
        (older) and ``?after=<key>`` (newer). ``fetch(limit, before, after)`` answers
        newest first: ``limit`` rows below ``before``, or the ``limit`` just above
        ``after``."""
        before_text, after_text = self.query("before"), self.query("after")
        before = self.whole(before_text, "before") if before_text else None
        after = self.whole(after_text, "after", low=0) if after_text else None
        size = self.console.page_size
        if after is not None:
            rows = fetch(size + 1, None, after)
            newer = len(rows) > size
            rows = rows[-size:]
            return rows, {
                "prev": self.link(after=key(rows[0]), before=None) if newer and rows else None,
                "next": self.link(before=key(rows[-1]), after=None) if rows else None,
            }
        rows = fetch(size + 1, before, None)
        more = len(rows) > size
        rows = rows[:size]
        return rows, {
            "prev": self.link(after=key(rows[0]), before=None)
            if before is not None and rows
            else None,
            "next": self.link(before=key(rows[-1]), after=None) if more and rows else None,
        }

    def forward_page(
        self, fetch: Callable[[int, int | None], list[Any]], key: Callable[[Any], Any], size: int
    ) -> tuple[list[Any], dict[str, str | None]]:
        """A page of a list kept oldest first, from ``?after=<key>``, and its pager links
        (back to the first page, and on). ``fetch(limit, after)`` answers ``limit`` rows
        past ``after`` (None: from the start)."""
        after_text = self.query("after")
        after = self.whole(after_text, "after", low=0) if after_text else None
        rows = fetch(size + 1, after)
        more = len(rows) > size
        rows = rows[:size]
        return rows, {
            "prev": self.link(after=None) if after is not None else None,
            "next": self.link(after=key(rows[-1])) if more and rows else None,
        }

    def link(self, **params: Any) -> str:
        """This page's URL with ``params`` replaced (None drops one)."""
        query = dict(self.request.query_params)
        query.update({k: str(v) for k, v in params.items() if v is not None})
        for k in [k for k, v in params.items() if v is None]:
            query.pop(k, None)
        return self.request.url.path + ("?" + urlencode(query) if query else "")


def _clean(name: str, value: str) -> str:
    """``value`` unless it holds a NUL character (no store takes one: PostgreSQL refuses
    it), which is :class:`BadInput`."""
    if "\x00" in value:
        raise BadInput(f"{name[:40]} must not contain a NUL character (\\x00)")
    return value


async def read_form(request: Request) -> dict[str, list[str]] | None:
    """The urlencoded body as name -> values; None if it is too big to take."""
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_FORM:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    form: dict[str, list[str]] = {}
    text = body.decode("utf-8", "replace")
    for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=5000):
        form.setdefault(name, []).append(value)
    return form


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every answer of the console, those no
    view renders included (static files, 404, 405), unless the answer set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


def plain(status: int, text: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><title>{status}</title><p>{text}</p>", status, SECURITY_HEADERS
    )


def endpoint(
    console: Console, view: View, *, public: bool = False, back: View | None = None
) -> Callable[[Request], Any]:
    """An ASGI endpoint running ``view`` with the console's checks around it; on bad
    input, ``back`` (the page the form is on) is shown again with the message, status 400.
    """

    async def handle(request: Request) -> Response:
        session = console.auth.session(request)
        if session is None and not public:
            return RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
        form: dict[str, list[str]] = {}
        if request.method == "POST":
            found = await read_form(request)
            if found is None:
                return plain(413, "That form is too large.")
            form = found
            if session is not None:
                offered = form.get("csrf_token", [""])[0]
                if not offered or not same(offered, session.csrf):
                    return console.refused(session)
        ctx = Ctx(console, request, session, form)
        response = await anyio.to_thread.run_sync(_run, view, ctx, back)
        if ctx.delay:
            await anyio.sleep(ctx.delay)
        return response

    return handle


def _run(view: View, ctx: Ctx, back: View | None) -> Response:
    try:
        return view(ctx)
    except BadInput as exc:
        ctx.now.append(("error", str(exc)[:1000]))  # it may echo what was sent
        if back is None:
            return ctx.render("error.html", 400, message="")
        try:
            response = back(ctx)
        except BadInput:
            return ctx.render("error.html", 400, message="")
        response.status_code = 400
        return response
    except Exception as exc:
        message = redact(f"{type(exc).__name__}: {exc}")[:300]
        log.exception("console page %s failed", ctx.request.url.path)
        # A store that does not answer (a database, a broker) is the service's state,
        # not a fault of the page: 503, with what did not answer.
        down = (
            isinstance(exc, OSError | OperationalError | InterfaceError)
            or "Connection" in type(exc).__name__
        )
        if down:
            message = f"A part this page reads is not answering. {message}"
        return ctx.render("error.html", 503 if down else 500, message=message)
