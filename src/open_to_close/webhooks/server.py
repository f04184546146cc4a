"""Serve an ASGI app (a webhook receiver) with uvicorn on a background thread.

For the demo, tests and benchmarks; in production run ``otc webhooks serve`` or mount
the app in your own server.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from ..sandbox.server import bind_socket

_START_TIMEOUT = 10.0


class BackgroundServer:
    """``with BackgroundServer(app) as server: server.url`` (a free loopback port)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: Any = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]  # keep it: a restart serves the same URL
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", access_log=False, server_header=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="otc-webhook-server", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the webhook server failed to start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop accepting, finish the requests in flight, and return."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(_START_TIMEOUT)
        if sock is not None:
            sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
