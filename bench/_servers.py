"""Servers for benchmarks, each in its own process so the client under test has a core.

Both the sandbox and the bare Starlette app are served the same way: uvicorn, with the same
settings, through :class:`open_to_close._serving.BackgroundServer`.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any


def _serve_sandbox(conn: Connection, options: dict[str, Any]) -> None:
    from open_to_close.sandbox import SandboxServer

    with SandboxServer(**options) as sb:
        conn.send(sb.base_url)
        while (command := conn.recv()) != "stop":
            name, args = command
            target = sb.core.stats.reset if name == "reset_stats" else getattr(sb, name)
            conn.send(target(*args))


def _serve_bare(conn: Connection, body: bytes) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from open_to_close._serving import BackgroundServer

    async def retrieve(request: Request) -> Response:
        int(request.path_params["id"])
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/v1/properties/{id}", retrieve)])
    with BackgroundServer(app) as server:  # served as the sandbox is
        conn.send(f"{server.url}/v1")
        conn.recv()


@contextmanager
def _process(target: Any, *args: Any) -> Iterator[str]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(child, *args), daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("benchmark server did not start")
        yield parent.recv()
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()


class RemoteSandbox:
    """A handle on a sandbox in another process: its URL, key, and controls by pipe."""

    def __init__(self, conn: Connection, base_url: str, api_key: str) -> None:
        self._conn, self.base_url, self.api_key = conn, base_url, api_key

    def _call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        return self._conn.recv()

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("stats")
        return result

    def reset(self) -> None:
        self._call("reset")

    def set_rate_limit(self, spec: str | None) -> None:
        self._call("set_rate_limit", spec)

    def reset_stats(self) -> None:
        self._call("reset_stats")


@contextmanager
def sandbox_process(api_key: str = "bench-key-0001", **options: Any) -> Iterator[RemoteSandbox]:
    """A sandbox in another process."""
    options["api_key"] = api_key
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_sandbox, args=(child, options), daemon=True)
    proc.start()
    try:
        if not parent.poll(120):
            raise RuntimeError("benchmark sandbox did not start")
        yield RemoteSandbox(parent, parent.recv(), api_key)
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()


@contextmanager
def bare_starlette_process(body: bytes) -> Iterator[str]:
    """A one-route Starlette app (``GET /v1/properties/{id}`` answering ``body``) in
    another process."""
    with _process(_serve_bare, body) as url:
        yield url
