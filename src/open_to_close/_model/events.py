"""The event types of the guide's webhooks, and the groups the built-in handlers take."""

from __future__ import annotations

PROPERTY_EVENTS: tuple[str, ...] = (
    "property.created",
    "property.updated",
    "property.status_changed",
    "property.deleted",
)
TASK_EVENTS: tuple[str, ...] = ("task.created", "task.updated", "task.completed")
DETAIL_EVENTS: tuple[str, ...] = ("note.created", "document.created", "contact.created")

EVENT_TYPES: tuple[str, ...] = (*PROPERTY_EVENTS, *TASK_EVENTS, *DETAIL_EVENTS)
"""Every event type, in the contract's order."""

EVENT_PATTERNS: tuple[str, ...] = (
    "*",
    *sorted({f"{t.split('.')[0]}.*" for t in EVENT_TYPES}),
    *EVENT_TYPES,
)
"""What a subscription may name: everything, a family (``property.*``) or one type."""

# The nested resources whose creation is an event, and the noun the event uses.
DETAIL_NOUNS: dict[str, str] = {
    "property_note": "note",
    "property_document": "document",
    "property_contact": "contact",
}
