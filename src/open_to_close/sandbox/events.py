"""The contract's webhook events, from the store's changes.

The store announces ``(change, record, previous)`` with the resource's singular name
(``property.updated``, ``property_task.updated``, ...); :func:`events_for` turns that into
what subscribers receive: ``property.status_changed`` beside ``property.updated`` when the
status moves, ``task.completed`` beside ``task.updated``, ``note.created``, ...
"""

from __future__ import annotations

from typing import Any

EVENT_TYPES = (
    "property.created",
    "property.updated",
    "property.status_changed",
    "property.deleted",
    "task.created",
    "task.updated",
    "task.completed",
    "note.created",
    "document.created",
    "contact.created",
)
EVENT_PATTERNS = ("*", *sorted({f"{t.split('.')[0]}.*" for t in EVENT_TYPES}), *EVENT_TYPES)
_NOUNS = {"property_note": "note", "property_document": "document", "property_contact": "contact"}


def events_for(
    change: str, record: dict[str, Any], previous: dict[str, Any] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The contract's events for one store change: ``[(event_type, body fields), ...]``."""
    kind, _, action = change.rpartition(".")
    old_status = (previous or {}).get("status")
    if kind == "property":
        if action != "updated":
            return [(f"property.{action}", {"property": record})]
        out: list[tuple[str, dict[str, Any]]] = [("property.updated", {"property": record})]
        if record.get("status") != old_status:
            changed = {"property": record, "previous_status": old_status}
            out.append(("property.status_changed", changed))
        return out
    if kind == "property_task" and action in ("created", "updated"):
        task_events: list[tuple[str, dict[str, Any]]] = [(f"task.{action}", {"task": record})]
        if action == "updated" and record.get("status") == "completed" != old_status:
            task_events.append(("task.completed", {"task": record, "previous_status": old_status}))
        return task_events
    if kind in _NOUNS and action == "created":
        return [(f"{_NOUNS[kind]}.created", {_NOUNS[kind]: record})]
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
