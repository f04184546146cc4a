"""``/console/events``: the events the service took (change feed and webhooks), newest
first, each with its body, and "replay" to put one through the handlers again."""

from __future__ import annotations

import json

from starlette.responses import Response

from .._redact import redact
from .journal import Entry
from .taps import replay as replay_event
from .web import BadInput, Ctx

OUTCOMES = ("received", "handled", "ignored", "failed")


def events_page(ctx: Ctx) -> Response:
    journal = ctx.console.journal
    outcome = ctx.query("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise BadInput(f"outcome must be one of {', '.join(OUTCOMES)} (got {outcome[:40]!r})")
    property_id = ctx.query("property").strip()[:100] or None

    def fetch(limit: int, before: int | None, after: int | None) -> list[Entry]:
        if journal is None:
            return []
        return journal.page(limit, before, after, property_id=property_id, outcome=outcome)

    entries, pager = ctx.cursor_page(fetch, lambda e: e.seq)
    return ctx.render(
        "events.html",
        entries=entries,
        pager=pager,
        outcome=outcome or "",
        outcomes=OUTCOMES,
        property_id=property_id or "",
        journal_on=journal is not None,
    )


def _seq(ctx: Ctx) -> int:
    return ctx.whole(ctx.path("seq"), "the event number")


def event_page(ctx: Ctx) -> Response:
    journal = ctx.console.journal
    found = journal.entry(_seq(ctx)) if journal is not None else None
    if found is None:
        return ctx.render("error.html", 404, message="No such event in the journal.")
    entry, body = found
    text = redact(json.dumps(body, indent=2, sort_keys=True, default=str))
    return ctx.render("event.html", entry=entry, body=text)


def replay(ctx: Ctx) -> Response:
    journal = ctx.console.journal
    seq = _seq(ctx)
    if journal is None:
        raise BadInput("the event journal is off, so there is nothing to replay")
    try:
        new_seq = replay_event(ctx.console.components.queue, journal, seq)
    except KeyError:
        raise BadInput(f"no event {seq} in the journal (pruned?)") from None
    return ctx.redirect(
        f"/console/events/{new_seq}",
        "ok",
        f"Event {seq} queued again as a replay (event {new_seq}); its handlers run once more.",
    )


PAGES = [
    ("/events", events_page, ["GET"], None),
    ("/events/{seq}", event_page, ["GET"], None),
    ("/events/{seq}/replay", replay, ["POST"], events_page),
]
