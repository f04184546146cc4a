"""``/console/properties``: search the properties the integration knows, and one
property's flat view, raw ``field_values`` and what it is linked to.

"Known" means seen by the service: in an event it took (the journal keeps an index of
id, address, city and status), or linked by a sync job (imported into that index at most
once a minute). A property's page reads it fresh through the service's cached client.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, insert, or_, select
from starlette.responses import Response

from .._redact import redact
from ..exceptions import NotFoundError, OpenToCloseAPIError
from .journal import properties as index
from .web import BadInput, Ctx

IMPORT_EVERY = 60.0  # seconds between two imports of sync links into the index
_MAX_QUERY = 200


def _import_links(ctx: Ctx) -> None:
    """Add the Open To Close ids sync jobs linked that the index lacks (no address yet)."""
    console = ctx.console
    journal = console.journal
    if journal is None:
        return
    with console.lock:
        due = time.monotonic() - console.__dict__.get("links_imported", -IMPORT_EVERY * 2)
        if due < IMPORT_EVERY:
            return
        console.__dict__["links_imported"] = time.monotonic()
    links = console.sync_state.tables.links
    known = select(index.c.property_id)
    new = (
        select(links.c.otc_id, func.min(links.c.updated_at).label("t"))
        .where(links.c.otc_id.is_not(None), links.c.otc_id.not_in(known))
        .group_by(links.c.otc_id)
    )
    with journal.engine.begin() as conn:
        rows = [
            {"property_id": r.otc_id, "seen_at": time.time(), "source": "sync"}
            for r in conn.execute(new)
        ]
        if rows:
            conn.execute(insert(index), rows)


def properties_page(ctx: Ctx) -> Response:
    journal = ctx.console.journal
    q = ctx.query("q").strip()
    if len(q) > _MAX_QUERY:
        raise BadInput(f"search for at most {_MAX_QUERY} characters")
    page = ctx.page()
    size = ctx.console.page_size
    found: list[Any] = []
    if journal is not None:
        _import_links(ctx)
        query = select(index).order_by(index.c.seen_at.desc(), index.c.property_id)
        if q:
            like = f"%{q}%"
            query = query.where(
                or_(index.c.property_id == q, index.c.address.ilike(like), index.c.city.ilike(like))
            )
        query = query.limit(size + 1).offset((page - 1) * size)
        with journal.engine.connect() as conn:
            found = list(conn.execute(query))
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
    ("/properties/{id}", property_page, ["GET"], None),
]
