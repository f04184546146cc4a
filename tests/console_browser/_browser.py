"""A headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium,
with the few steps every console test takes: sign in, open a page, submit, check layout."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from open_to_close.console.app import NAV

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTHS = (1280, 390)  # a laptop, a phone
HEIGHT = 900
WAIT = 10.0  # seconds for a page or an element
PAGES = tuple(href for href, _ in NAV)  # the console's pages, as the nav links them


class BrowserMissingError(RuntimeError):
    pass


def start_chromium(profile: Path) -> Any:
    """A headless Chromium; nothing but 127.0.0.1 resolves, so a page that needs a CDN
    shows it (the console must work offline)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        raise BrowserMissingError(
            f"{', '.join(missing)} not found: run `apt-get install -y chromium chromium-driver`"
            " (.ci/run does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--window-size={WIDTHS[0]},{HEIGHT}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_output=str(profile.parent / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


class Browser:
    """One Chromium session on one console (``base`` is ``http://127.0.0.1:port``)."""

    def __init__(self, driver: Any, base: str, secrets: tuple[str, ...] = ()) -> None:
        self.driver = driver
        self.base = base
        self.secrets = secrets  # never on a page

    # -- reading the page ------------------------------------------------------------------

    @property
    def path(self) -> str:
        url: str = self.driver.current_url
        return url[len(self.base) :] if url.startswith(self.base) else url

    @property
    def source(self) -> str:
        return str(self.driver.page_source)

    @property
    def status(self) -> int:
        """The HTTP status of the page shown."""
        return int(self.js("return performance.getEntriesByType('navigation')[0].responseStatus"))

    def drop_csrf(self, form: str) -> int:
        """Remove the hidden csrf_token inputs of ``form`` (a CSS selector); how many."""
        return int(
            self.js(
                "const found = document.querySelectorAll(arguments[0] + ' input[name=csrf_token]');"
                "found.forEach(input => input.remove()); return found.length;",
                form,
            )
        )

    def find(self, css: str) -> Any:
        found = self.all(css)
        assert found, f"no {css} on {self.path}"
        return found[0]

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str) -> str:
        return str(self.find(css).text).strip()

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
        """The first truthy value of ``condition()`` (errors count as not yet)."""
        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            try:
                value = condition()
            except Exception as exc:  # the element is not there yet, or went stale
                last, value = exc, None
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what} on {self.path}" + _cause(last))

    def wait_for(self, css: str, timeout: float = WAIT) -> Any:
        return self.wait(lambda: self.all(css) and self.find(css), css, timeout)

    def flash(self) -> tuple[str, str]:
        """The page's flash message: ``(kind, text)``."""
        box = self.wait_for('[data-testid="flash"]')
        return str(box.get_attribute("data-kind")), str(box.text).strip()

    # -- acting ------------------------------------------------------------------------------

    def open(self, path: str) -> Browser:
        self.driver.get(self.base + path)
        self.wait(lambda: self.js("return document.readyState") == "complete", "the page")
        return self

    def click(self, css: str) -> Browser:
        """Click ``css`` and wait for the page it loads (a form's submit, a link)."""
        old = self.find("html")
        self.find(css).click()
        self.wait(lambda: _stale(old), f"the page after clicking {css}")
        self.wait(lambda: self.js("return document.readyState") == "complete", "the page")
        return self

    def sign_in(self, token: str) -> Browser:
        self.open("/console/login")
        form = self.wait_for('form[data-testid="login-form"]')
        box = form.find_element("css selector", 'input[name="token"]')
        box.clear()
        box.send_keys(token)
        return self.click('form[data-testid="login-form"] button[type="submit"]')

    def signed_in(self, token: str) -> Browser:
        """Signed in (again if the session is gone), on the overview."""
        self.open("/console/")
        if self.path.startswith("/console/login"):
            self.sign_in(token)
        self.wait_for('nav[data-testid="nav"]')
        return self

    def sign_out(self) -> Browser:
        return self.click('button[data-testid="logout"]')

    # -- layout -------------------------------------------------------------------------------

    def check_layout(self, path: str, ready: str = 'nav[data-testid="nav"]') -> None:
        """``path`` at each width: it shows ``ready``, has no sideways scroll on the phone,
        loads nothing from another origin, logs no error and shows no secret."""
        try:
            for width in WIDTHS:
                self.driver.set_window_size(width, HEIGHT)
                self.driver.get_log("browser")  # what earlier pages logged is theirs
                self.open(path)
                self.wait_for(ready)
                inner, seen, wide = self.js(
                    "const root = document.documentElement;"
                    "return [window.innerWidth, root.clientWidth, root.scrollWidth]"
                )
                assert inner == width, f"the window is {inner}px wide, not {width}px"
                # clientWidth leaves out a desktop scrollbar (a phone's overlays the page)
                assert wide <= min(inner, seen), (
                    f"{path} scrolls sideways at {width}px: its content is {wide}px wide"
                    f" in a {seen}px view"
                )
                self.check_same_origin(path)
                self.check_no_errors(path)
                shown = [n for n, secret in enumerate(self.secrets) if secret in self.source]
                assert not shown, f"{path} shows secret number {shown} of the service"
        finally:
            self.driver.set_window_size(WIDTHS[0], HEIGHT)

    def check_same_origin(self, path: str) -> None:
        loaded = self.js("return performance.getEntriesByType('resource').map(e => e.name)")
        foreign = [url for url in loaded if not url.startswith(self.base)]
        assert not foreign, f"{path} loads from elsewhere (must work offline): {foreign}"

    def check_no_errors(self, path: str) -> None:
        errors = [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
        ]
        assert not errors, f"{path} logged errors in the browser: {errors}"

    def check_inert(self, *visible: str) -> None:
        """Nothing hostile ran or became markup here; ``visible`` strings show as text."""
        assert self.js("return typeof window.__xss") == "undefined", f"script ran on {self.path}"
        live = self.js("return document.querySelectorAll('[onerror],[onload],svg img').length")
        assert live == 0, f"hostile markup became elements on {self.path}"
        scripts = self.js("return [...document.scripts].map(s => s.getAttribute('src'))")
        assert all(src and src.startswith("/console/static/") for src in scripts), scripts
        text = self.js("return document.body.innerText")
        for snippet in visible:
            assert snippet in text, f"{snippet!r} is not shown as text on {self.path}"

    # -- on failure ---------------------------------------------------------------------------

    def save_artifacts(self, stem: Path) -> None:
        """A screenshot (``stem.png``) and the page source (``stem.html``)."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(stem.with_suffix(".png")))
        stem.with_suffix(".html").write_text(self.source, encoding="utf-8")


def _stale(element: Any) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    return False


def _cause(exc: BaseException | None) -> str:
    return "" if exc is None else f" (last: {type(exc).__name__}: {str(exc).splitlines()[0]})"
