"""The sandbox's Starlette app: one route per template of the resource table.

Collections answer with and without a trailing slash (the live API is reached both
ways), except that a property is created only at ``POST /properties/``, as live. Both
spellings count under one template in ``stats()``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from os import PathLike

from starlette.applications import Starlette
from starlette.routing import Route

from .._model.resources import RESOURCES
from .account import CONTACT_ROLES, TIME_ZONES
from .core import SandboxCore
from .gate import Endpoint
from .handlers import Handler, ResourceHandlers
from .limits import RateLimit
from .openapi import build_openapi
from .properties import PropertyHandlers
from .subscriptions import SubscriptionHandlers, add_webhook_docs
from .wire import Call, Reply

PREFIX = "/v1"


def _static(body: bytes) -> dict[str, Handler]:
    def answer(call: Call) -> Reply:
        return Reply(200, body)

    return {"GET": answer}


def _route(core: SandboxCore, path: str, template: str, handlers: Mapping[str, Handler]) -> Route:
    return Route(PREFIX + path, Endpoint(core, template, handlers))


def _both(core: SandboxCore, template: str, handlers: Mapping[str, Handler]) -> list[Route]:
    """``template`` with and without a trailing slash, counted as one."""
    return [
        _route(core, template, template, handlers),
        _route(core, template + "/", template, handlers),
    ]


def build_app(core: SandboxCore) -> Starlette:
    """The ASGI app serving ``core``; ``app.state.sandbox`` is the core."""
    routes: list[Route] = []
    for spec in RESOURCES:
        collection, item = spec.collection_template, spec.item_template
        if spec.attribute == "properties":
            properties = PropertyHandlers(core)
            routes.append(_route(core, collection, collection, properties.collection()))
            routes.append(
                _route(core, collection + "/", collection, properties.create_collection())
            )
            routes.append(_route(core, item, item, properties.item()))
            continue
        handlers = ResourceHandlers(core, spec)
        routes += _both(core, collection, handlers.collection())
        routes.append(_route(core, item, item, handlers.item()))
    for template, methods in SubscriptionHandlers(core.webhooks).routes():
        routes.append(_route(core, template, template, methods))
    account = core.account
    zones, roles = json.dumps(TIME_ZONES).encode(), json.dumps(CONTACT_ROLES).encode()
    for template, body in (
        ("/propertyFields", account.fields_body),
        ("/propertyFieldGroups", account.groups_body),
        ("/propertyFieldSections", account.sections_body),
        ("/timeZones", zones),
        ("/timezones", zones),
        ("/contactRoles", roles),
    ):
        routes += _both(core, template, _static(body))
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
    idempotency_keys: bool = False,
    rate_limit_headers: bool = False,
) -> Starlette:
    """A sandbox as an ASGI app, to serve with any ASGI server or ``httpx2.ASGITransport``.

    The arguments mirror ``otc sandbox``'s flags; ``db=None`` keeps data in memory.
    ``idempotency_keys=True`` replays a POST repeated with the same ``Idempotency-Key``
    and ``rate_limit_headers=True`` sends ``X-RateLimit-*`` and ``Retry-After``: neither
    is known on the live API, so both are off by default. The sandbox's state (store,
    limits, faults, stats) is ``app.state.sandbox``.
    """
    core = SandboxCore(
        api_key=api_key,
        webhook_secret=webhook_secret,
        db=db,
        seed=seed,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        idempotency_keys=idempotency_keys,
        rate_limit_headers=rate_limit_headers,
    )
    return build_app(core)
