"""``GET /health`` and ``GET /metrics`` as Starlette routes, mountable in any ASGI app.

>>> app.mount("/ops", create_monitoring_app(client))  # doctest: +SKIP

With ``PROMETHEUS_MULTIPROC_DIR`` set (as it must be, before prometheus_client is
imported, in every worker of a multi-process server), ``/metrics`` reports the sum over
all workers, read from that directory, whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..client import AsyncOpenToCloseAPI, OpenToCloseAPI
from .health import HealthCheck, api_check, cache_check, database_check, queue_check, run_checks

__all__ = ["create_monitoring_app", "default_checks", "metrics_text", "monitoring_routes"]


def default_checks(
    client: OpenToCloseAPI | AsyncOpenToCloseAPI | None = None,
    *,
    state_db: Any = None,
    queue: Any = None,
    cache: Any = None,
    checks: Sequence[HealthCheck] = (),
) -> list[HealthCheck]:
    """The API check, plus one for each of ``state_db`` (URL or engine), ``queue`` and
    ``cache`` that is given, plus ``checks``."""
    found = [api_check(client)]
    if state_db is not None:
        found.append(database_check(state_db))
    if queue is not None:
        found.append(queue_check(queue))
    if cache is not None:
        found.append(cache_check(cache))
    return found + list(checks)


def metrics_text(
    registry: CollectorRegistry | None = None, multiprocess_dir: str | None = None
) -> bytes:
    """The metrics in Prometheus text format; combined over processes when
    ``multiprocess_dir`` (or ``PROMETHEUS_MULTIPROC_DIR``) is set."""
    directory = multiprocess_dir or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(combined)
    return generate_latest(REGISTRY if registry is None else registry)


def monitoring_routes(
    client: OpenToCloseAPI | AsyncOpenToCloseAPI | None = None,
    *,
    checks: Sequence[HealthCheck] | None = None,
    registry: CollectorRegistry | None = None,
    multiprocess_dir: str | None = None,
    **configured: Any,
) -> list[BaseRoute]:
    """``/health`` and ``/metrics`` for a Starlette app or ``Mount``.

    ``checks`` replaces the default ones (:func:`default_checks` of ``client`` and of
    ``state_db=``, ``queue=``, ``cache=`` when given).
    """
    health_checks = list(checks) if checks is not None else default_checks(client, **configured)

    async def health(request: Request) -> Response:
        status, body = await run_checks(health_checks)
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    async def metrics(request: Request) -> Response:
        body = await anyio.to_thread.run_sync(metrics_text, registry, multiprocess_dir)
        return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [
        Route("/health", health, methods=["GET"], name="health"),
        Route("/metrics", metrics, methods=["GET"], name="metrics"),
    ]


def create_monitoring_app(
    client: OpenToCloseAPI | AsyncOpenToCloseAPI | None = None,
    *,
    checks: Sequence[HealthCheck] | None = None,
    registry: CollectorRegistry | None = None,
    multiprocess_dir: str | None = None,
    **configured: Any,
) -> Starlette:
    """An ASGI app serving :func:`monitoring_routes`: run it, or mount it in another app."""
    return Starlette(
        routes=monitoring_routes(
            client,
            checks=checks,
            registry=registry,
            multiprocess_dir=multiprocess_dir,
            **configured,
        )
    )
