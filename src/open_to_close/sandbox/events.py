"""The contract's webhook events, from the store's changes (the types: ``_model.events``).

The store announces ``(change, record, previous)`` with the resource's singular name
(``property.updated``, ``property_task.updated``, ...); :func:`events_for` turns that into
what subscribers receive: ``property.status_changed`` beside ``property.updated`` when the
status moves, ``task.completed`` beside ``task.updated``, ``note.created``, ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._model.events import DETAIL_NOUNS, EVENT_PATTERNS, EVENT_TYPES

__all__ = ["EVENT_PATTERNS", "EVENT_TYPES", "check_events", "events_for"]

Record = dict[str, Any]
Flatten = Callable[[Record], Record]


def _same(record: Record) -> Record:
    return record


def events_for(
    change: str, record: Record, previous: Record | None, flatten: Flatten = _same
) -> list[tuple[str, Record]]:
    """The contract's events for one store change: ``[(event_type, body fields), ...]``.

    ``flatten`` adds the guide's flat names to a property record (``status``,
    ``address``, ...); the status change is read from them.
    """
    kind, _, action = change.rpartition(".")
    if kind == "property":
        flat = flatten(record)
        if action != "updated":
            return [(f"property.{action}", {"property": flat})]
        out: list[tuple[str, Record]] = [("property.updated", {"property": flat})]
        old_status = flatten(previous or {}).get("status")
        if flat.get("status") != old_status:
            out.append(
                ("property.status_changed", {"property": flat, "previous_status": old_status})
            )
        return out
    old_status = (previous or {}).get("status")
    if kind == "property_task" and action in ("created", "updated"):
        task_events: list[tuple[str, Record]] = [(f"task.{action}", {"task": record})]
        if action == "updated" and record.get("status") == "completed" != old_status:
            task_events.append(("task.completed", {"task": record, "previous_status": old_status}))
        return task_events
    noun = DETAIL_NOUNS.get(kind)
    if noun is not None and action == "created":
        return [(f"{noun}.created", {noun: record})]
    return []  # sub-records deleted along with their property, emails, top-level records


def check_events(events: Any) -> tuple[str, ...]:
    """Validated event patterns (``"*"``, ``"property.*"``, exact types)."""
    if isinstance(events, str):
        events = (events,)
    try:
        chosen = tuple(events)
    except TypeError:
        raise ValueError("events must be a list of event types, e.g. ['*']") from None
    if not chosen:
        raise ValueError("events must name at least one event type (or '*')")
    unknown = [e for e in chosen if e not in EVENT_PATTERNS]
    if unknown:
        raise ValueError(
            f"events {unknown} are unknown; use '*', 'property.*' or one of: "
            + ", ".join(EVENT_TYPES)
        )
    return chosen
