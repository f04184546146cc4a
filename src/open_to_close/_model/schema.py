"""The fields of the API's resources other than properties, declared once.

Properties are field-based (:mod:`.property_fields`); every other resource is a flat
record whose fields are below. This table drives the sandbox's validation and its
OpenAPI document. Live facts (LIVE_API.md): a contact needs no field and refuses
``name``; a note's text is ``description``; a property contact is made from
``contact_id`` alone. Where the live API is unknown (tasks, documents, emails, agents,
users, tags, teams) the guide's fields stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .flat import TASK_STATUSES
from .resources import RESOURCES

FieldType = Literal["string", "number", "integer"]

READ_ONLY: frozenset[str] = frozenset({"id", "property_id", "created", "created_at", "updated_at"})
"""Set by the server; a body may carry them (read-modify-write) but they are ignored."""

REFUSED: dict[str, dict[str, str]] = {
    "contacts": {"name": "is not a contact field; send first_name and last_name"},
}
"""Fields the live API answers 400 for, with what to send instead."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType = "string"
    required: bool = False
    enum: tuple[str, ...] | None = None
    description: str = ""
    references: str | None = None  # resource attribute whose record this id must name

    def problem(self, value: Any) -> str | None:
        """Why ``value`` can't be stored in this field, or None if it can."""
        if value is None:
            return "is required and cannot be null" if self.required else None
        if self.type == "string":
            if not isinstance(value, str):
                return "must be a string"
            if self.required and not value:
                return "must not be empty"
            if self.enum is not None and value not in self.enum:
                return f"must be one of: {', '.join(self.enum)}"
            return None
        # bool is an int subclass, but true/false is never a price or an id.
        if isinstance(value, bool):
            return f"must be {'an integer' if self.type == 'integer' else 'a number'}"
        if self.type == "integer":
            return None if isinstance(value, int) else "must be an integer"
        return None if isinstance(value, int | float) else "must be a number"

    def describe(self) -> dict[str, Any]:
        """The field definition as ``/propertyFields`` answers it."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "description": self.description,
        }
        if self.enum is not None:
            out["enum"] = list(self.enum)
        return out


def _f(name: str, type_: FieldType = "string", description: str = "", **kw: Any) -> Field:
    return Field(name, type_, description=description, **kw)


def _req(name: str, type_: FieldType = "string", description: str = "", **kw: Any) -> Field:
    return Field(name, type_, required=True, description=description, **kw)


FIELDS: dict[str, tuple[Field, ...]] = {
    "agents": (
        _req("first_name"),
        _req("last_name"),
        _req("email"),
        _f("phone"),
        _f("team_id", "integer", "Team the agent belongs to."),
    ),
    "contacts": (
        _f("first_name"),
        _f("last_name"),
        _f("email"),
        _f("phone"),
        _f("company"),
    ),
    "properties": (),  # field-based: see property_fields
    "teams": (_req("name"), _f("description")),
    "users": (
        _req("email"),
        _f("first_name"),
        _f("last_name"),
        _f("role", description="For example admin, agent, coordinator."),
        _f("team_id", "integer"),
    ),
    "tags": (_req("title"), _f("color", description="CSS colour, e.g. #ff8800.")),
    "property_contacts": (
        _req("contact_id", "integer", "Id of an existing contact.", references="contacts"),
    ),
    "property_documents": (
        _req("name"),
        _f("url"),
        _f("file_type", description="For example pdf, docx."),
    ),
    "property_emails": (_req("subject"), _f("body"), _f("to"), _f("from")),
    "property_notes": (_req("description", description="The note's text."), _f("author")),
    "property_tasks": (
        _req("title"),
        _f("description"),
        _f("status", enum=TASK_STATUSES),
        _f("due_date", description="ISO 8601 date."),
        _f("assignee"),
        _f("category", description="For example closing, inspection, financing."),
        _f("priority", description="For example low, medium, high."),
    ),
}

BY_NAME: dict[str, dict[str, Field]] = {
    kind: {field.name: field for field in fields} for kind, fields in FIELDS.items()
}

if set(FIELDS) != {spec.attribute for spec in RESOURCES}:  # pragma: no cover - table drift
    raise RuntimeError("FIELDS must declare exactly the resources of _model.resources")
