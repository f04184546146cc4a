"""Signing in and out of the console in a real browser; a wrong token sees nothing; a POST
without its CSRF token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer
from tests.service._helpers import free_port

from ._browser import PAGES, Browser
from ._service import API_KEY, TOKEN, Console, start_console

PAGE_DATA = ('nav[data-testid="nav"]', '[data-testid^="health-"]', 'button[data-testid="logout"]')


@pytest.fixture(scope="module")
def console(console_home: Path, sandbox: SandboxServer) -> Iterator[Console]:
    """A service whose Open To Close API is down (nothing listens there): the console still
    signs people in, and its overview says which part is failing."""
    down = f"http://127.0.0.1:{free_port()}/v1"
    running = start_console(console_home / "service", sandbox, api_url=down)
    yield running
    running.stop()


@pytest.fixture
def anonymous(browser: Browser) -> Browser:
    browser.driver.delete_all_cookies()
    return browser


def assert_sees_nothing(page: Browser) -> None:
    assert page.path.startswith("/console/login"), page.path
    page.wait_for('form[data-testid="login-form"]')
    for css in PAGE_DATA:
        assert not page.all(css), f"{css} shown to someone not signed in"
    assert API_KEY not in page.source and TOKEN not in page.source


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_the_form(anonymous: Browser, path: str) -> None:
    anonymous.open(path)
    assert_sees_nothing(anonymous)


def test_a_wrong_token_sees_nothing(anonymous: Browser, console: Console) -> None:
    anonymous.sign_in(TOKEN[:-1] + "X")
    assert_sees_nothing(anonymous)
    kind, text = anonymous.flash()
    assert kind == "error" and text
    assert not anonymous.find('input[name="token"]').get_attribute("value")  # not echoed
    anonymous.open("/console/")  # and no session came of it
    assert_sees_nothing(anonymous)
    anonymous.open("/console/login")  # an empty token, past the browser's own check
    anonymous.js("document.querySelector('input[name=\"token\"]').required = false")
    anonymous.click('form[data-testid="login-form"] button[type="submit"]')
    assert_sees_nothing(anonymous)
    assert anonymous.flash()[0] == "error"


def test_sign_in_and_out(anonymous: Browser) -> None:
    page = anonymous.sign_in(TOKEN)
    assert page.path == "/console/", page.path
    nav = page.wait_for('nav[data-testid="nav"]')
    links = {a.get_attribute("href")[len(page.base) :] for a in nav.find_elements("tag name", "a")}
    assert set(PAGES) <= links
    assert TOKEN not in page.source

    cookies = page.driver.get_cookies()
    assert cookies, "signing in sets a session cookie"
    for cookie in cookies:
        assert cookie["httpOnly"] is True, cookie["name"]
        assert cookie["sameSite"] == "Strict", cookie["name"]
        assert TOKEN not in cookie["value"]

    page.sign_out()
    assert_sees_nothing(page)
    for path in ("/console/", "/console/queue"):
        page.open(path)
        assert_sees_nothing(page)

    # The signed-out session is over on the server too: its cookie, sent again, opens nothing.
    for cookie in cookies:
        page.driver.add_cookie({k: cookie[k] for k in ("name", "value", "path")})
    page.open("/console/")
    assert_sees_nothing(page)


def test_a_post_without_its_csrf_token_is_refused(anonymous: Browser) -> None:
    page = anonymous.sign_in(TOKEN)
    page.wait_for('button[data-testid="logout"]')
    removed = page.drop_csrf('form[action="/console/logout"]')
    assert removed == 1, "the sign-out form carries one hidden csrf_token"
    page.sign_out()
    assert page.status == 403
    assert "csrf" in page.source.lower()
    page.open("/console/")  # nothing happened: still signed in
    page.wait_for('nav[data-testid="nav"]')

    # A forged token is refused the same way.
    page.js(
        'document.querySelector(\'form[action="/console/logout"] input[name="csrf_token"]\')'
        ".value = 'forged-' + Date.now();"
    )
    page.sign_out()
    assert page.status == 403
    page.open("/console/")
    page.wait_for('nav[data-testid="nav"]')


def test_the_sign_in_form_fits_a_phone(anonymous: Browser) -> None:
    anonymous.check_layout("/console/login", ready='form[data-testid="login-form"]')


def test_the_overview_names_the_part_that_is_down(anonymous: Browser) -> None:
    page = anonymous.sign_in(TOKEN)
    status = {
        part: page.wait_for(f'[data-testid="health-{part}"]').get_attribute("data-status")
        for part in ("api", "state", "queue", "cache")
    }
    assert status == {"api": "failing", "state": "ok", "queue": "ok", "cache": "ok"}
