"""The service's one ASGI app: the webhook route, ``/health``, ``/metrics`` and the
console (``/console``, when its sign-in token is set).

While the service shuts down, the webhook route answers 503 with ``Retry-After`` (the
sender delivers again later, to this process after a restart or to another one), so no
event is taken that the process might not get to store.
"""

from __future__ import annotations

import json
import threading

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

from ..console import create_console
from ..monitoring import monitoring_routes
from ..webhooks import create_webhook_app
from .components import Components

_DRAINING = json.dumps({"error": "Shutting down; retry later"}).encode()


class Draining:
    """ASGI wrapper: once ``closing`` is set, webhook deliveries get 503 + Retry-After."""

    def __init__(self, app: Starlette, path: str, closing: threading.Event) -> None:
        self.app, self.path, self.closing = app, path, closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.closing.is_set() and scope["path"] == self.path:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", b"5")],
                }
            )
            await send({"type": "http.response.body", "body": _DRAINING})
            return
        await self.app(scope, receive, send)


def create_service_app(components: Components, closing: threading.Event) -> Draining:
    """The app ``otc serve`` runs; mount it, or serve it with any ASGI server."""
    config = components.config
    hooks = config.webhooks
    webhook_app = create_webhook_app(
        components.webhook_handler,
        hooks.path,
        components.event_queue("webhook"),
        max_body=hooks.max_body_bytes,
    )
    monitoring = monitoring_routes(
        checks=components.health_checks(),
        registry=components.registry,
        multiprocess_dir=config.metrics.multiprocess_dir,
    )
    if not config.metrics.enabled:
        monitoring = [r for r in monitoring if getattr(r, "path", None) != "/metrics"]
    routes: list[BaseRoute] = [*webhook_app.routes, *monitoring]
    console = create_console(components)
    if console is not None:
        components.console = console.state.console  # closed with the other parts
        routes.append(Mount("/console", app=console))
    return Draining(Starlette(routes=routes), hooks.path, closing)
