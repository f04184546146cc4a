"""``/console/``: the health of each part, the rate budget in use, recent errors, charts."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.from_thread
from sqlalchemy import text
from starlette.responses import Response

from .._redact import get_logger, redact
from ..monitoring.health import run_checks
from . import charts, sync_data
from .fmt import when
from .sampler import rate_limit
from .web import Ctx

log = get_logger(__name__)
T = TypeVar("T")

PARTS = ("api", "state", "queue", "cache", "feed")
_CHECK_NAMES = {"state_db": "state"}
_BACKLOG = 1000  # feed events waiting to be handed over before the feed counts as failing


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    status: str  # ok, failing, off
    detail: str
    href: str


def _feed(ctx: Ctx) -> tuple[str, str]:
    config = ctx.console.config
    if config.events.source != "poll":
        return "off", "events come from webhooks (no change feed)"
    state = ctx.console.sync_state  # the feed keeps its outbox in the same database
    query = text(
        "SELECT COUNT(*) FROM (SELECT 1 FROM otc_feed_outbox WHERE feed = :feed LIMIT :n) AS w"
    )
    try:
        with state.engine.connect() as conn:
            waiting = int(
                conn.execute(query, {"feed": config.events.name, "n": _BACKLOG}).scalar_one()
            )
    except Exception as exc:
        if "otc_feed_outbox" in str(exc):
            return "ok", "no poll has run yet"
        return "failing", f"the feed's state can't be read: {type(exc).__name__}"
    if waiting >= _BACKLOG:
        return "failing", f"{waiting}+ events wait to be handed over to the queue"
    return "ok", f"polling every {config.events.every:g} s; {waiting} event(s) waiting"


def health(ctx: Ctx) -> list[Part]:
    _status, body = anyio.from_thread.run(run_checks, ctx.console.checks)
    results = {_CHECK_NAMES.get(k, k): v for k, v in body.get("checks", {}).items()}
    links = {
        "api": "/console/properties",
        "state": "/console/sync",
        "queue": "/console/queue",
        "cache": "/console/properties",
        "feed": "/console/events",
    }
    found = []
    for name in PARTS:
        if name == "feed":
            status, detail = _feed(ctx)
        elif name in results:
            result = results[name]
            ok = result["status"] == "ok"
            status = "ok" if ok else "failing"
            detail = f"{result['duration_ms']:g} ms" if ok else str(result.get("error", ""))
        else:
            status, detail = "off", "not configured"
        found.append(Part(name, status, detail, links[name]))
    return found


def _budget(ctx: Ctx) -> dict[str, Any]:
    sampler = ctx.console.sampler
    sampler.ensure_running()
    used, seconds = sampler.recent_requests()
    per_minute = used * 60.0 / seconds if seconds >= 5 else None
    limit = rate_limit(ctx.console.components.client)
    share = None if limit is None or per_minute is None else min(per_minute / limit, 9.99)
    return {
        "used": used,
        "seconds": seconds,
        "per_minute": per_minute,
        "limit": limit,
        "share": share,
    }


def _errors(ctx: Ctx) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    journal = ctx.console.journal
    if journal is not None:
        for entry in journal.page(5, outcome="failed"):
            found.append(
                {
                    "when": entry.finished_at or entry.received_at,
                    "what": "event",
                    "text": f"{entry.event_type} {entry.event_id}: {entry.error or ''}",
                    "href": f"/console/events/{entry.seq}",
                }
            )
    for run in ctx.console.sync_state.history(None, 5, statuses=("failed", "partial")):
        reason = run.error or f"{run.counts.get('errors', 0)} record(s) failed"
        found.append(
            {
                "when": run.finished_at or run.started_at,
                "what": f"sync {run.job}",
                "text": f"run {run.id} {run.status}: {reason}",
                "href": f"/console/sync/runs/{run.id}",
            }
        )
    found.sort(key=lambda e: str(when(e["when"])), reverse=True)
    return found[:10]


def _charts(ctx: Ctx) -> list[charts.Chart]:
    made = []
    journal = ctx.console.journal
    minutes = journal.per_minute(60) if journal is not None else []
    made.append(
        charts.bars(
            "events",
            "Events per minute (last hour)",
            "events",
            [(when(t)[11:16], n) for t, n in minutes],
        )
    )
    recent = list(reversed(ctx.console.sync_state.history(None, 30)))
    made.append(
        charts.bars(
            "sync",
            "Records per sync run (last 30 runs)",
            "records",
            [(f"run {r.id} ({r.job})", sync_data.processed(r.counts)) for r in recent],
        )
    )
    samples = list(ctx.console.sampler.samples)
    made.append(
        charts.line(
            "queue",
            "Queue depth (pending, last hour)",
            "tasks",
            [(s.at, s.pending) for s in samples if s.pending is not None],
        )
    )
    rate = []
    for before, after in itertools.pairwise(samples):
        span = after.at - before.at
        if span > 0:
            rate.append((after.at, (after.requests - before.requests) * 60.0 / span))
    limit = rate_limit(ctx.console.components.client)
    made.append(
        charts.line("rate", "API requests per minute vs the rate limit", "req/min", rate, limit)
    )
    return made


def _part(ctx: Ctx, what: str, read: Callable[[Ctx], T], empty: T) -> T:
    """One section of the page; a store that is down empties it with a message instead of
    failing the page (its health card says which part failed)."""
    try:
        return read(ctx)
    except Exception as exc:
        log.warning("console overview: %s could not be read: %s", what, redact(str(exc)))
        ctx.now.append(("error", f"The {what} could not be read: {type(exc).__name__}."))
        return empty


def overview(ctx: Ctx) -> Response:
    queue = ctx.console.components.queue
    no_errors: list[dict[str, Any]] = []
    no_charts: list[charts.Chart] = []
    return ctx.render(
        "overview.html",
        parts=health(ctx),
        budget=_part(
            ctx,
            "rate budget",
            _budget,
            {"used": 0, "per_minute": None, "limit": None, "share": None},
        ),
        errors=_part(ctx, "recent errors", _errors, no_errors),
        charts=_part(ctx, "charts", _charts, no_charts),
        stats=_part(ctx, "queue counts", lambda _ctx: queue.stats(), None),
        jobs=ctx.console.config.sync.jobs,
    )


PAGES = [("/", overview, ["GET"], None)]
