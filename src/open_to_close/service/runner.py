"""``otc serve``: the web app, the worker and the scheduler in one process, or one role each.

Shutdown (SIGTERM, SIGINT, or :meth:`Service.stop`) goes in the order that loses nothing:

1. the webhook route answers 503 (senders retry later) and the server stops accepting;
   requests in progress finish, so every 202 already sent was stored first;
2. the scheduler lets a running sync job finish and releases its lock; the change feed
   (``[events] source = "poll"``, run by the scheduler role) stops after its poll;
3. the worker finishes the tasks it is running and hands back those it has not started.

A role that stops on its own (an error, or a worker whose threads died) makes ``/health``
answer 503 and shuts the service down: a process that takes webhooks nobody will run
must not look healthy.

A SIGKILL skips all that and still loses nothing: stored events stay in the queue, and a
task whose worker died runs again after the visibility timeout.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from .._redact import get_logger
from .._serving import BackgroundServer
from .components import Components
from .config import ROLES

log = get_logger(__name__)


class Service:
    def __init__(
        self,
        components: Components,
        roles: Iterable[str] = ROLES,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.components = components
        self.roles = tuple(dict.fromkeys(roles))
        unknown = set(self.roles) - set(ROLES)
        if unknown or not self.roles:
            raise ValueError(f"roles must be some of {', '.join(ROLES)}; got {self.roles}")
        server = components.config.server
        self.host = host if host is not None else server.host
        self.port = port if port is not None else server.port
        self.closing = threading.Event()
        self.stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.failed: list[str] = []  # roles that stopped on their own, with the reason
        self._web: BackgroundServer | None = None
        self.worker: Any = None
        self.scheduler: Any = None

    # -- start ---------------------------------------------------------------------------

    def start(self) -> Service:
        """Start every role on background threads; returns once the web role listens."""
        components = self.components
        if "worker" in self.roles and not self.closing.is_set():
            _ = components.webhook_handler  # registers the webhook task on the queue
            self.worker = components.queue.worker(components.config.queue.concurrency)
            self._spawn("otc-worker", self.worker.run)
        if "scheduler" in self.roles and not self.closing.is_set():
            from .scheduler import Scheduler

            config = components.config
            self.scheduler = Scheduler(
                list(config.sync.jobs), components.client, config.state.url, components.registry
            )
            self._spawn("otc-scheduler", self.scheduler.run_forever)
            if config.events.source == "poll":
                feed = components.change_feed
                self._spawn("otc-feed", lambda: feed.run(config.events.every))
        if "web" in self.roles and not self.closing.is_set():
            self._start_web()
        log.info("otc serve: running %s", ", ".join(self.roles))
        return self

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=self._guard, args=(name, target), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guard(self, name: str, target: Any) -> None:
        try:
            target()
        except Exception as exc:
            log.exception("%s stopped on an error; shutting the service down", name)
            self.failed.append(f"{name} stopped: {type(exc).__name__}: {exc}")
            self.stop()
            return
        if not self.closing.is_set():
            log.error("%s stopped on its own; shutting the service down", name)
            self.failed.append(f"{name} stopped on its own")
            self.stop()

    def _start_web(self) -> None:
        from .app import create_service_app

        app = _FailedRoles(create_service_app(self.components, self.closing), self.failed)
        grace = self.components.config.server.shutdown_grace
        self._web = BackgroundServer(
            app, host=self.host, port=self.port, name="otc-web", graceful=grace
        ).start()

    @property
    def url(self) -> str:
        """``http://host:port`` of the web role."""
        if self._web is None:
            raise RuntimeError("the web role is not running")
        return self._web.url

    # -- stop ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Begin the graceful shutdown (idempotent, callable from any thread or a signal)."""
        if self.closing.is_set():
            return
        self.closing.set()
        threading.Thread(target=self._shutdown, name="otc-shutdown", daemon=True).start()

    def _shutdown(self) -> None:
        grace = self.components.config.server.shutdown_grace
        if self.scheduler is not None:
            self.scheduler.stop()
        feed = self.components.__dict__.get("change_feed")
        if feed is not None:
            feed.stop()  # a poll in progress commits or not: the next one resumes either way
        # Webhooks taken before the server stopped are in the queue; only then stop the
        # worker, so that what is running finishes and what is not stays queued.
        if self._web is not None:
            self._web.stop()
        if self.worker is not None:
            self.worker.stop()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(grace)
        if self.scheduler is not None:
            self.scheduler.close()
        self.components.close()
        self.stopped.set()
        log.info("otc serve: stopped")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the service has stopped; False on timeout."""
        return self.stopped.wait(timeout)

    def run(self, on_started: Callable[[Service], None] | None = None) -> None:
        """Start, stop on SIGTERM or SIGINT, and return once everything has stopped.

        The handlers are installed before anything starts, so a signal during start-up
        still drains. If starting fails, what did start is stopped and the error raised.
        """

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.warning("otc serve: %s received, shutting down", signal.Signals(signum).name)
            self.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            try:
                self.start()
            except BaseException:
                self.stop()
                self.wait(self.components.config.server.shutdown_grace + 10)
                raise
            if on_started is not None:
                on_started(self)
            while not self.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.wait(self.components.config.server.shutdown_grace + 10)


class _FailedRoles:
    """ASGI wrapper: once a role has stopped on its own, ``GET /health`` answers 503."""

    def __init__(self, app: Any, failed: list[str]) -> None:
        self.app, self.failed = app, failed

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.failed and scope["type"] == "http" and scope["path"] == "/health":
            body = json.dumps({"status": "unhealthy", "error": "; ".join(self.failed)})
            headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await self.app(scope, receive, send)
