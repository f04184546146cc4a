"""``/console/conflicts``: two-way conflicts a person must decide, side by side.

Each field in conflict shows its base value (what both sides held after the last sync),
the Open To Close value and the external value. The decision — one side for all, or a
choice per field — is recorded with :meth:`SyncState.resolve_conflict`, the call ``otc
sync conflicts resolve`` makes; the job's next run applies it to both systems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from ..sync.merge import DELETED, field_choices
from ..sync.state import Conflict
from .web import BadInput, Ctx

_ABSENT = object()
CONFLICTS_PER_PAGE = 20  # each one is a table and a form: pages stay light


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    base: str
    otc: str
    external: str
    choosable: bool


def _show(values: dict[str, Any] | None, name: str) -> str:
    if values is None:
        return "(deleted)"
    value = values.get(name, _ABSENT)
    if value is _ABSENT or value is None:
        return "(not set)"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def rows(conflict: Conflict) -> list[FieldRow]:
    whole = conflict.otc_values is not None and conflict.external_values is not None
    return [
        FieldRow(
            name,
            "-" if name == DELETED else _show(conflict.base, name),
            _show(conflict.otc_values, name) if name != DELETED else _side(conflict.otc_values),
            _show(conflict.external_values, name)
            if name != DELETED
            else _side(conflict.external_values),
            whole and name != DELETED,
        )
        for name in conflict.fields
    ]


def _side(values: dict[str, Any] | None) -> str:
    return "(deleted)" if values is None else "(kept, edited)"


def _decided(conflict: Conflict) -> str:
    choices = field_choices(conflict.fields, conflict.resolution)
    if choices is None:
        return f"{conflict.resolution} wins"
    return "per field: " + ", ".join(f"{f} from {side}" for f, side in choices.items())


def conflicts_page(ctx: Ctx) -> Response:
    state = ctx.console.sync_state
    found, pager = ctx.forward_page(
        lambda limit, after: state.conflicts(None, "open", limit=limit, after=after),
        lambda c: c.id,
        min(ctx.console.page_size, CONFLICTS_PER_PAGE),
    )
    waiting = state.conflicts(None, "resolved", limit=100)
    return ctx.render(
        "conflicts.html",
        conflicts=[(c, rows(c)) for c in found],
        waiting=[(c, _decided(c)) for c in waiting],
        pager=pager,
    )


def resolve(ctx: Ctx) -> Response:
    conflict_id = ctx.whole(ctx.path("id"), "the conflict number")
    choice = ctx.field("choice")
    if choice not in ("otc", "external", "merge"):
        raise BadInput("choose Use Open To Close, Use external, or Merge")
    state = ctx.console.sync_state
    fields: dict[str, str] | None = None
    if choice == "merge":
        fields = {
            name.removeprefix("field:"): values[0]
            for name, values in ctx.form.items()
            if name.startswith("field:") and values
        }
    try:
        conflict = state.resolve_conflict(conflict_id, choice, fields)
    except KeyError:
        raise BadInput(f"no conflict {conflict_id} in the sync state") from None
    except ValueError as exc:
        raise BadInput(f"conflict {conflict_id}: {exc}") from None
    return ctx.redirect(
        "/console/conflicts",
        "ok",
        f"Conflict {conflict.id} on {conflict.external_id} resolved ({_decided(conflict)}). "
        f"The next run of job {conflict.job} applies it to both systems; run it now from "
        "the Sync page to apply it at once.",
    )


PAGES = [
    ("/conflicts", conflicts_page, ["GET"], None),
    ("/conflicts/{id}/resolve", resolve, ["POST"], conflicts_page),
]
