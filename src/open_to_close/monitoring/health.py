"""Health checks: is the API reachable, and the state database, queue and cache?

A check is a name and a callable (plain or ``async``) that raises, or returns ``False``,
when what it checks is down. A failed *required* check makes the service unhealthy
(503); a failed optional one is reported and nothing more (a cache that is down only
makes reads slower). Every check runs at once, each under its own timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
import anyio.to_thread

from .._redact import redact
from ..client import AsyncOpenToCloseAPI, OpenToCloseAPI
from ..exceptions import RateLimitError

__all__ = [
    "HealthCheck",
    "api_check",
    "cache_check",
    "database_check",
    "queue_check",
    "run_checks",
]

_MAX_ERROR = 300


@dataclass(frozen=True, slots=True)
class HealthCheck:
    name: str
    check: Callable[[], Any]
    required: bool = True
    timeout: float = 5.0


def api_check(
    client: OpenToCloseAPI | AsyncOpenToCloseAPI | None = None,
    *,
    timeout: float = 5.0,
    name: str = "api",
    every: float = 30.0,
) -> HealthCheck:
    """One ``GET /properties?limit=1``, without retries (a probe must answer quickly), at
    most once every ``every`` seconds: in between, the last success stands.

    The live API allows about one request a second, shared by everything using the key,
    so a probe asked every few seconds must not spend that budget, and a 429 counts as
    reachable (the API answered; a busy service is not a dead one). It runs on its own
    client with ``client``'s settings (none: from the environment, made on the first
    check, so a missing key shows as a failed check, not a crash).
    """
    if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
        raise ValueError(f"every must be a number of seconds, at least 0; got {every!r}")
    probe: list[OpenToCloseAPI] = []
    lock = threading.Lock()
    last_ok = [-math.inf]

    def check() -> None:
        with lock:
            if time.monotonic() - last_ok[0] < every:
                return
            if not probe:
                if client is None:
                    probe.append(OpenToCloseAPI(max_retries=0, timeout=timeout))
                else:
                    settings = dataclasses.replace(
                        client.settings,
                        max_retries=0,
                        timeout=min(client.settings.timeout, timeout),
                    )
                    probe.append(OpenToCloseAPI(settings=settings))
        with contextlib.suppress(RateLimitError):  # the API answered: reachable
            probe[0].properties.list_properties({"limit": 1})
        last_ok[0] = time.monotonic()

    return HealthCheck(name, check, required=True, timeout=timeout)


def database_check(
    db: Any, *, name: str = "state_db", required: bool = True, timeout: float = 5.0
) -> HealthCheck:
    """``SELECT 1`` on a SQLAlchemy ``Engine`` or database URL."""
    from sqlalchemy import Engine, text

    from .._sql import make_engine

    engine: Engine = db if isinstance(db, Engine) else make_engine(str(db), f"the {name} check")

    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return HealthCheck(name, check, required=required, timeout=timeout)


class _HasStats(Protocol):
    def stats(self) -> Any: ...


def queue_check(
    queue: _HasStats, *, name: str = "queue", required: bool = True, timeout: float = 5.0
) -> HealthCheck:
    """The queue answers ``stats()`` (any queue of :mod:`open_to_close.queue`)."""
    return HealthCheck(name, queue.stats, required=required, timeout=timeout)


class _Pingable(Protocol):
    def ping(self) -> None: ...


def cache_check(
    cache: Any, *, name: str = "cache", required: bool = False, timeout: float = 2.0
) -> HealthCheck:
    """The cache backend answers (a backend, or a cached client's ``backend``); optional by
    default, since reads fall back to the API while it is down."""
    backend: _Pingable = getattr(cache, "backend", cache)
    return HealthCheck(name, backend.ping, required=required, timeout=timeout)


async def _run_one(check: HealthCheck) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"status": "ok", "required": check.required}
    try:
        with anyio.fail_after(check.timeout):
            if inspect.iscoroutinefunction(check.check):
                outcome = await check.check()
            else:
                # abandon_on_cancel: on timeout the answer is sent; the thread finishes alone.
                outcome = await anyio.to_thread.run_sync(check.check, abandon_on_cancel=True)
        if outcome is False:
            raise RuntimeError("the check reported a failure")
    except TimeoutError:
        result.update(status="failed", error=f"timed out after {check.timeout:g}s")
    except Exception as exc:
        message = redact(f"{type(exc).__name__}: {exc}")
        if len(message) > _MAX_ERROR:
            message = message[: _MAX_ERROR - 3] + "..."
        result.update(status="failed", error=message)
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def run_checks(checks: Sequence[HealthCheck]) -> tuple[int, dict[str, Any]]:
    """``(HTTP status, body)``: 200 ``healthy`` or 503 ``unhealthy`` with the reasons."""
    results: dict[str, dict[str, Any]] = {}

    async def run(check: HealthCheck) -> None:
        results[check.name] = await _run_one(check)

    async with anyio.create_task_group() as group:
        for check in checks:
            group.start_soon(run, check)
    ordered = {check.name: results[check.name] for check in checks}
    failed = [
        f"{name}: {r['error']}"
        for name, r in ordered.items()
        if r["status"] != "ok" and r["required"]
    ]
    api = ordered.get("api")
    body: dict[str, Any] = {
        "status": "unhealthy" if failed else "healthy",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "api_connectivity": "not_checked" if api is None else api["status"],
    }
    if failed:
        body["error"] = "; ".join(failed)
    body["checks"] = ordered
    return (503 if failed else 200), body
