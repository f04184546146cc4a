"""``/console/login`` and ``/console/logout``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .web import SECURITY_HEADERS, Ctx, endpoint

if TYPE_CHECKING:
    from .app import Console

WRONG_TOKEN_DELAY = 0.5  # seconds: a wrong token is answered slowly (guessing is slow)


def _form(ctx: Ctx, status: int = 200) -> Response:
    auth = ctx.console.auth
    nonce = auth.login_nonce(ctx.request)
    if ctx.query("signed_out"):
        ctx.now.append(("ok", "Signed out."))
    response = ctx.render("login.html", status, login_csrf=auth.login_csrf(nonce))
    auth.set_login_cookie(response, ctx.request, nonce)
    return response


def login_page(ctx: Ctx) -> Response:
    if ctx.session is not None:
        return ctx.redirect("/console/")
    return _form(ctx)


def login(ctx: Ctx) -> Response:
    auth = ctx.console.auth
    if not auth.login_csrf_ok(ctx.request, ctx.field("csrf_token")):
        return ctx.console.refused(ctx.session)
    client = auth.client(ctx.request)
    wait = auth.throttle.attempt(client)
    if wait:
        seconds = math.ceil(wait)
        ctx.now.append(
            (
                "error",
                f"Too many wrong tokens from this address: sign-in is paused. "
                f"Try again in {seconds} s.",
            )
        )
        response = _form(ctx, 429)
        response.headers["retry-after"] = str(seconds)
        return response
    token = ctx.field("token")
    if not token or not auth.token_matches(token):
        ctx.delay = WRONG_TOKEN_DELAY  # waited off the worker thread
        ctx.now.append(("error", "That token is not right. Try again."))
        return _form(ctx, 401)
    auth.throttle.forgive(client)
    if ctx.session is not None:
        auth.end(ctx.session)  # a new session id on every sign-in (no fixation)
    session = auth.start()
    response = RedirectResponse("/console/", status_code=303, headers=SECURITY_HEADERS)
    auth.set_session_cookie(response, ctx.request, session)
    return response


def logout(ctx: Ctx) -> Response:
    assert ctx.session is not None
    ctx.console.auth.end(ctx.session)
    response = RedirectResponse(
        "/console/login?signed_out=1", status_code=303, headers=SECURITY_HEADERS
    )
    ctx.console.auth.clear_session_cookie(response)
    return response


def routes(console: Console) -> list[BaseRoute]:
    return [
        Route("/login", endpoint(console, login_page, public=True), methods=["GET"]),
        Route("/login", endpoint(console, login, public=True), methods=["POST"]),
        Route("/logout", endpoint(console, logout), methods=["POST"]),
    ]
