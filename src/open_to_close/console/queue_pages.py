"""``/console/queue``: counts by state and the dead letters (retry, discard, in bulk).

Everything goes through the queue's interface (:class:`~open_to_close.queue.TaskQueue`),
so the page is the same for the SQLite queue and for Celery.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from .._redact import redact
from ..queue.base import DeadLetterNotFoundError
from .fmt import masked
from .web import BadInput, Ctx

MAX_BULK = 1000  # dead letters one bulk action takes
_ACTIONS = ("retry", "discard")


def _preview(payload: Any) -> str:
    text = json.dumps(payload, indent=2, sort_keys=True, default=str)
    return redact(text if len(text) <= 20_000 else text[:20_000] + "\n...")


def queue_page(ctx: Ctx) -> Response:
    queue = ctx.console.components.queue
    letters, pager = ctx.cursor_page(
        lambda limit, before, after: queue.dead_letter_page(
            limit,
            None if before is None else str(before),
            None if after is None else str(after),
        ),
        lambda d: d["id"],
    )
    for letter in letters:
        letter["preview"] = _preview(letter.get("payload"))
    return ctx.render(
        "queue.html",
        stats=queue.stats(),
        letters=letters,
        pager=pager,
        queue_url=masked(queue.url),
    )


def _apply(ctx: Ctx, action: str, letter_id: str) -> str:
    queue = ctx.console.components.queue
    if action == "retry":
        return f"queued again as task {queue.retry_dead_letter(letter_id)}"
    queue.discard_dead_letter(letter_id)
    return "discarded"


def one(ctx: Ctx) -> Response:
    action, letter_id = ctx.path("action"), ctx.path("id")
    if action not in _ACTIONS:
        raise BadInput(f"unknown action {action!r}: use retry or discard")
    try:
        done = _apply(ctx, action, letter_id)
    except DeadLetterNotFoundError:
        raise BadInput(
            f"no dead letter has id {letter_id!r} (already retried or discarded?)"
        ) from None
    return ctx.redirect("/console/queue", "ok", f"Dead letter {letter_id} {done}.")


def bulk(ctx: Ctx) -> Response:
    action = ctx.field("action")
    if action not in _ACTIONS:
        raise BadInput("choose retry or discard for the selected dead letters")
    ids = list(dict.fromkeys(i.strip() for i in ctx.fields("ids") if i.strip()))
    if not ids:
        raise BadInput("select at least one dead letter first")
    if len(ids) > MAX_BULK:
        raise BadInput(f"select at most {MAX_BULK} dead letters at once (got {len(ids)})")
    done, missing = 0, []
    for letter_id in ids:
        try:
            _apply(ctx, action, letter_id)
            done += 1
        except DeadLetterNotFoundError:
            missing.append(letter_id)
    verb = "queued again" if action == "retry" else "discarded"
    text = f"{done} dead letter(s) {verb}."
    if missing:
        text += f" Not found (already handled?): {', '.join(missing[:20])}."
    return ctx.redirect("/console/queue", "error" if missing and not done else "ok", text)


PAGES = [
    ("/queue", queue_page, ["GET"], None),
    ("/queue/dead/bulk", bulk, ["POST"], queue_page),
    ("/queue/dead/{id}/{action}", one, ["POST"], queue_page),
]
