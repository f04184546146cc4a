"""The console served by the service's own app on a real socket, against the sandbox and
real state stores (SQLite files in tmp_path unless a test says otherwise)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from open_to_close._serving import BackgroundServer
from open_to_close.sandbox import SandboxServer
from open_to_close.service.app import create_service_app
from open_to_close.service.components import Components
from open_to_close.service.config import parse_service_config

TOKEN = "console-token-7f3a9c21e5"
WEBHOOK_SECRET = "whsec-console-tests-91"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


@dataclass
class Rig:
    """A running service app with its console, and a browser-like client."""

    url: str
    components: Components
    http: httpx2.Client
    tmp: Path
    servers: list[BackgroundServer] = field(default_factory=list)

    def get(self, path: str, **params: Any) -> httpx2.Response:
        return self.http.get(path, params=params or None)

    def csrf(self, path: str = "/console/") -> str:
        return csrf_of(self.get(path).text)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        csrf: bool = True,
        page: str = "/console/",
    ) -> httpx2.Response:
        body = dict(data or {})
        if csrf:
            body["csrf_token"] = self.csrf(page)
        return self.http.post(path, data=body)

    def login(self, token: str = TOKEN) -> httpx2.Response:
        form = self.get("/console/login")
        return self.http.post(
            "/console/login", data={"token": token, "csrf_token": csrf_of(form.text)}
        )


def base_config(sb: SandboxServer, tmp: Path) -> dict[str, Any]:
    return {
        "api": {"base_url": sb.base_url},
        "queue": {"url": f"sqlite:///{tmp}/queue.db"},
        "state": {"url": f"sqlite:///{tmp}/state.db"},
        "server": {"port": 0, "shutdown_grace": 5},
    }


@pytest.fixture
def make_rig(
    sb: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Rig]]:
    """``make_rig(token=TOKEN, **sections)``: the service app with the console, serving."""
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    monkeypatch.setenv("OTC_WEBHOOK_SECRET", WEBHOOK_SECRET)
    rigs: list[Rig] = []

    def make(token: str | None = TOKEN, **sections: Any) -> Rig:
        if token is None:
            monkeypatch.delenv("OTC_CONSOLE_TOKEN", raising=False)
        else:
            monkeypatch.setenv("OTC_CONSOLE_TOKEN", token)
        config = base_config(sb, tmp_path)
        for name, values in sections.items():
            config[name] = {**config.get(name, {}), **values}
        components = Components(parse_service_config(config))
        app = create_service_app(components, threading.Event())
        server = BackgroundServer(app).start()
        http = httpx2.Client(base_url=server.url, follow_redirects=False, timeout=30)
        rig = Rig(server.url, components, http, tmp_path, [server])
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.http.close()
        for server in rig.servers:
            server.stop()
        rig.components.close()


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    """A signed-in console on an empty state."""
    made = make_rig()
    assert made.login().status_code == 303
    return made


def walk(rig: Rig, path: str, row: str, direction: str = "next-page") -> list[list[str]]:
    """Follow a list's pager from ``path``: the ids (``row``: a regex with one group) of
    each page, forward with ``next-page`` (or back with ``prev-page``)."""
    pages: list[list[str]] = []
    url: str | None = path
    while url is not None:
        html = rig.get(url).text
        pages.append(re.findall(row, html))
        link = re.search(rf'data-testid="{direction}" href="([^"]+)"', html)
        url = link.group(1).replace("&amp;", "&") if link else None
    return pages


def last_url(rig: Rig, path: str) -> str:
    """The URL of a list's last page."""
    url = path
    while True:
        link = re.search(r'data-testid="next-page" href="([^"]+)"', rig.get(url).text)
        if not link:
            return url
        url = link.group(1).replace("&amp;", "&")


def check_paging(rig: Rig, path: str, row: str, total: int) -> list[str]:
    """Forward through every page, then back with "previous": the same pages, each id once."""
    forward = walk(rig, path, row)
    ids = [i for page in forward for i in page]
    assert len(ids) == total and len(set(ids)) == total
    back = walk(rig, last_url(rig, path), row, "prev-page")
    assert back == forward[::-1], (forward, back)
    return ids
