"""``/console/properties``: search the properties the integration knows, and one
property's flat view, raw ``field_values`` and what it is linked to.

"Known" means seen by the service: in an event it took (the journal keeps an index of
id, address, city and status), linked by a sync job or seen by the change feed (imported
into that index at most once a minute), or read by "read all from Open To Close". A
property's page reads it through the service's cached client.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, insert, inspect, or_, select, text
from starlette.responses import Response

from .._redact import get_logger, redact
from ..exceptions import NotFoundError, OpenToCloseAPIError
from .journal import index_row
from .journal import properties as index
from .web import BadInput, Ctx

log = get_logger(__name__)

IMPORT_EVERY = 60.0  # seconds between two imports of sync links into the index
_MAX_QUERY = 200


def _import_known(ctx: Ctx) -> None:
    """Add what sync jobs linked and the change feed saw that the index lacks: two-way
    links and feed snapshots carry the flat view (address, city, status); a push link
    only the id, until its page is opened or the index is read again from the API."""
    console = ctx.console
    journal = console.journal
    if journal is None:
        return
    with console.lock:
        if time.monotonic() - console.links_imported < IMPORT_EVERY:
            return
        console.links_imported = time.monotonic()
    links = console.sync_state.tables.links
    known = select(index.c.property_id)
    new = (
        select(links.c.otc_id, func.max(links.c.base).label("base"))
        .where(links.c.otc_id.is_not(None), links.c.otc_id.not_in(known))
        .group_by(links.c.otc_id)
    )
    feed = text(
        "SELECT record_id, view FROM otc_feed_snapshots WHERE resource = 'properties' "
        "AND record_id NOT IN (SELECT property_id FROM otc_console_properties)"
    )
    now = time.time()
    with journal.engine.begin() as conn:
        rows = {
            r.otc_id: index_row(json.loads(r.base or "{}"), r.otc_id, "sync", now)
            for r in conn.execute(new)
        }
        if inspect(conn).has_table("otc_feed_snapshots"):  # a change feed ran here
            for r in conn.execute(feed):
                rows[r.record_id] = index_row(json.loads(r.view), r.record_id, "feed", now)
        if rows:
            conn.execute(insert(index), list(rows.values()))


def _refresh(console: Any) -> None:
    """Read every property through the service's client into the index (a page at a
    time: ceil(N/50) requests on the live API)."""
    journal = console.journal
    batch: list[dict[str, Any]] = []
    try:
        for record in console.components.client.properties.iter_properties():
            batch.append(index_row(record, record["id"], "api", time.time()))
            if len(batch) >= 50:
                journal.remember_properties(batch)
                batch = []
        journal.remember_properties(batch)
    except Exception as exc:
        log.warning("console: reading the properties failed: %s", redact(str(exc)))


def refresh(ctx: Ctx) -> Response:
    console = ctx.console
    if console.journal is None:
        raise BadInput("the event journal is off, so there is no index to fill")
    if not console.start_background(
        "(properties)", "otc-console-properties", lambda: _refresh(console)
    ):
        raise BadInput("the properties are being read already")
    return ctx.redirect(
        "/console/properties",
        "ok",
        "Reading every property from Open To Close (one request per 50); the list fills "
        "as the pages arrive.",
    )


def properties_page(ctx: Ctx) -> Response:
    journal = ctx.console.journal
    q = ctx.query("q").strip()
    if len(q) > _MAX_QUERY:
        raise BadInput(f"search for at most {_MAX_QUERY} characters")
    page = ctx.page()
    size = ctx.console.page_size
    found: list[Any] = []
    if journal is not None:
        _import_known(ctx)
        order = (index.c.seen_at.desc(), index.c.property_id.desc())
        # Ids first, from the (seen_at, property_id) index alone: a deep page skips index
        # entries, not rows. Then the rows of that page.
        ids = select(index.c.property_id).order_by(*order)
        if q:
            like = f"%{q}%"
            ids = ids.where(
                or_(index.c.property_id == q, index.c.address.ilike(like), index.c.city.ilike(like))
            )
        ids = ids.limit(size + 1).offset((page - 1) * size)
        with journal.engine.connect() as conn:
            chosen = list(conn.execute(ids).scalars())
            rows = select(index).where(index.c.property_id.in_(chosen)).order_by(*order)
            found = list(conn.execute(rows)) if chosen else []
    more = len(found) > size
    pager = {
        "prev": ctx.link(page=page - 1 if page > 2 else None) if page > 1 else None,
        "next": ctx.link(page=page + 1) if more else None,
    }
    return ctx.render(
        "properties.html",
        rows=found[:size],
        q=q,
        pager=pager,
        by_id=q if q.isdigit() else None,
        journal_on=journal is not None,
    )


def _links(ctx: Ctx, property_id: str) -> list[dict[str, Any]]:
    state = ctx.console.sync_state
    found = []
    for job in ctx.console.config.sync.jobs:
        link = state.links_by_otc(job.name, [property_id]).get(property_id)
        if link is not None:
            found.append(
                {"job": job.name, "direction": job.direction, "external_id": link.external_id}
            )
    return found


def property_page(ctx: Ctx) -> Response:
    property_id = ctx.path("id").strip()
    if not property_id or len(property_id) > 100 or not property_id.isprintable():
        raise BadInput("a property id is a short text, e.g. 12345")
    record: dict[str, Any] | None = None
    problem = None
    try:
        fresh = bool(ctx.query("fresh"))
        record = ctx.console.components.cache.get_property(property_id, use_cache=not fresh)
    except NotFoundError:
        problem = "Open To Close has no property with this id (deleted?)."
    except OpenToCloseAPIError as exc:
        problem = redact(f"Open To Close could not be read: {exc}")
    flat: list[tuple[str, str]] = []
    raw = ""
    if record is not None:
        journal = ctx.console.journal
        if journal is not None:
            journal.remember_property(record, "api")
        flat = [
            (k, v if isinstance(v, str) else json.dumps(v, default=str))
            for k, v in sorted(record.items())
            if k != "field_values"
        ]
        raw = json.dumps(record.get("field_values", []), indent=2, default=str)
    journal = ctx.console.journal
    events = journal.page(10, property_id=property_id) if journal is not None else []
    return ctx.render(
        "property.html",
        property_id=property_id,
        record=record,
        problem=problem,
        flat=flat,
        raw=redact(raw),
        links=_links(ctx, property_id),
        events=events,
    )


PAGES = [
    ("/properties", properties_page, ["GET"], None),
    ("/properties/refresh", refresh, ["POST"], properties_page),
    ("/properties/{id}", property_page, ["GET"], None),
]
