"""The sandbox's Starlette app: one route per template of the resource table."""

from __future__ import annotations

import json
from os import PathLike

from starlette.applications import Starlette
from starlette.routing import Route

from .._model.resources import RESOURCES
from .core import SandboxCore
from .gate import Endpoint
from .handlers import Handler, ResourceHandlers
from .limits import RateLimit
from .openapi import build_openapi
from .._model.schema import property_fields
from .subscriptions import SubscriptionHandlers, add_webhook_docs
from .wire import Call, Reply

PREFIX = "/v1"


def _static(body: bytes) -> dict[str, Handler]:
    def answer(call: Call) -> Reply:
        return Reply(200, body)

    return {"GET": answer}


def build_app(core: SandboxCore) -> Starlette:
    """The ASGI app serving ``core``; ``app.state.sandbox`` is the core."""
    routes = []
    for spec in RESOURCES:
        handlers = ResourceHandlers(core, spec)
        for template, methods in (
            (spec.collection_template, handlers.collection()),
            (spec.item_template, handlers.item()),
        ):
            routes.append(Route(PREFIX + template, Endpoint(core, template, methods)))
    for template, methods in SubscriptionHandlers(core.webhooks).routes():
        routes.append(Route(PREFIX + template, Endpoint(core, template, methods)))
    fields = json.dumps(property_fields()).encode()
    routes.append(
        Route(f"{PREFIX}/propertyFields", Endpoint(core, "/propertyFields", _static(fields)))
    )
    spec_body = json.dumps(add_webhook_docs(build_openapi())).encode()
    routes.append(
        Route(
            f"{PREFIX}/openapi.json",
            Endpoint(core, "/openapi.json", _static(spec_body), public=True),
        )
    )
    # Last, so real routes win: unknown paths still need a key, then answer 404.
    routes.append(Route("/{path:path}", Endpoint(core, "*", {}, fallback=True)))
    app = Starlette(routes=routes)
    app.state.sandbox = core
    return app


def create_app(
    *,
    api_key: str = "sandbox-key",
    webhook_secret: str | None = None,
    db: str | PathLike[str] | None = None,
    seed: int = 0,
    fault_rate: float = 0.0,
    latency_ms: float = 0,
    rate_limit: str | RateLimit | None = None,
) -> Starlette:
    """A sandbox as an ASGI app, to serve with any ASGI server or ``httpx2.ASGITransport``.

    The arguments mirror ``otc sandbox``'s flags; ``db=None`` keeps data in memory. The
    sandbox's state (store, limits, faults, stats) is ``app.state.sandbox``.
    """
    core = SandboxCore(
        api_key=api_key,
        webhook_secret=webhook_secret,
        db=db,
        seed=seed,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
    )
    return build_app(core)
