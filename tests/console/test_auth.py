"""Sign-in, sign-out, sessions and CSRF: the console is closed unless a token is set."""

from __future__ import annotations

from collections.abc import Callable

import httpx2

from open_to_close.console.app import NAV

from .conftest import TOKEN, Rig, csrf_of

PAGES = [href for href, _ in NAV]


def test_no_token_no_console(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(token=None)
    for path in ["/console", "/console/", "/console/login", "/console/static/console.css"]:
        assert rig.get(path).status_code == 404, path
    assert rig.get("/health").status_code in (200, 503)  # the rest of the service is there


def test_enabled_false_keeps_it_closed_even_with_a_token(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(console={"enabled": False})
    assert rig.get("/console/login").status_code == 404


def test_anonymous_requests_go_to_the_sign_in_form(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    for path in PAGES:
        answer = rig.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/console/login"
    answer = rig.http.post("/console/logout", data={})
    assert answer.status_code == 303


def test_sign_in_and_out(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    form = rig.get("/console/login")
    assert form.status_code == 200
    assert 'data-testid="login-form"' in form.text and 'name="token"' in form.text
    answer = rig.login()
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/console" in cookie and "Secure" not in cookie  # plain http here
    page = rig.get("/console/")
    assert page.status_code == 200 and 'data-testid="nav"' in page.text
    for path in PAGES:
        assert rig.get(path).status_code == 200, path
    out = rig.post("/console/logout")
    assert out.status_code == 303 and out.headers["location"].startswith("/console/login")
    signed_out = rig.get(out.headers["location"])
    assert 'data-kind="ok"' in signed_out.text
    assert rig.get("/console/").status_code == 303


def test_a_session_cookie_replayed_after_sign_out_is_dead(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.login()
    stolen = dict(rig.http.cookies)
    rig.post("/console/logout")
    with httpx2.Client(base_url=rig.url, cookies=stolen) as other:
        assert other.get("/console/").status_code == 303


def test_wrong_token_sees_the_form_again_and_nothing_else(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    answer = rig.login("not-the-token-at-all")
    assert answer.status_code == 401
    assert 'data-testid="login-form"' in answer.text
    assert 'data-kind="error"' in answer.text and "not right" in answer.text
    assert 'data-testid="nav"' not in answer.text
    assert TOKEN not in answer.text
    assert rig.get("/console/").status_code == 303
    assert rig.login(TOKEN[:-1]).status_code == 401  # a prefix is not the token
    assert rig.login("").status_code == 401


def test_sign_in_needs_the_forms_csrf_token(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.get("/console/login")
    answer = rig.http.post("/console/login", data={"token": TOKEN, "csrf_token": "forged"})
    assert answer.status_code == 403
    fresh = httpx2.Client(base_url=rig.url)  # no pre-session cookie at all
    assert fresh.post("/console/login", data={"token": TOKEN}).status_code == 403
    fresh.close()


def test_every_post_needs_the_csrf_token(rig: Rig) -> None:
    for path, data in [
        ("/console/logout", {}),
        ("/console/queue/dead/bulk", {"action": "discard"}),
        ("/console/queue/dead/1/retry", {}),
        ("/console/events/1/replay", {}),
        ("/console/sync/listings/run", {}),
        ("/console/conflicts/1/resolve", {"choice": "otc"}),
    ]:
        missing = rig.http.post(path, data=data)
        assert missing.status_code == 403, path
        assert 'data-testid="refused"' in missing.text
        wrong = rig.http.post(path, data={**data, "csrf_token": "x" * 43})
        assert wrong.status_code == 403, path
    assert rig.get("/console/").status_code == 200  # still signed in: nothing happened


def test_cookie_is_secure_behind_tls_when_proxies_are_trusted(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(console={"trust_proxy": True})
    form = rig.http.get("/console/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in form.headers["set-cookie"]
    # A client on plain http keeps Secure cookies to itself: send it as the browser would.
    nonce = form.headers["set-cookie"].split(";")[0]
    answer = httpx2.post(
        rig.url + "/console/login",
        data={"token": TOKEN, "csrf_token": csrf_of(form.text)},
        headers={"X-Forwarded-Proto": "https", "Cookie": nonce},
    )
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]
    plain = rig.http.get("/console/login")  # without the header: not Secure
    assert "Secure" not in plain.headers["set-cookie"]


def test_a_short_token_is_refused_with_the_variable_named(make_rig: Callable[..., Rig]) -> None:
    import pytest

    from open_to_close.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="OTC_CONSOLE_TOKEN"):
        make_rig(token="short")


def test_pages_carry_security_headers(rig: Rig) -> None:
    page = rig.get("/console/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    css = rig.get("/console/static/console.css")
    assert css.status_code == 200 and "table-wrap" in css.text
