"""The fields of every sandbox resource, declared once.

This table drives request validation, ``GET /propertyFields`` and the OpenAPI document,
so a field's name, type, requiredness and allowed values are spelled in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..resources._table import RESOURCES

FieldType = Literal["string", "number", "integer"]

READ_ONLY: frozenset[str] = frozenset({"id", "property_id", "created_at", "updated_at"})
"""Set by the server; a body may carry them (read-modify-write) but they are ignored."""

PROPERTY_STATUSES = (
    "active",
    "under_contract",
    "sold",
    "inactive",
    "draft",
    "pending",
    "rented",
    "withdrawn",
    "expired",
    "cancelled",
)
TASK_STATUSES = ("pending", "in_progress", "completed", "cancelled", "on_hold")


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
        _req("first_name"),
        _req("last_name"),
        _f("email"),
        _f("phone"),
        _f("company"),
    ),
    "properties": (
        _req("address", description="Street address."),
        _f("city"),
        _f("state", description="Two-letter state code."),
        _f("zip_code"),
        _f("listing_price", "number", "Asking price in dollars."),
        _f("bedrooms", "integer"),
        _f("bathrooms", "number", "Half baths count as 0.5."),
        _f("square_feet", "integer"),
        _f("property_type", description="For example single_family, condo, townhouse."),
        _f("status", enum=PROPERTY_STATUSES, description="Where the listing stands."),
        _f("external_id", description="Id of this property in another system (sync key)."),
        _f("team_id", "integer", "Team that owns the property."),
    ),
    "teams": (_req("name"), _f("description")),
    "users": (
        _req("email"),
        _f("first_name"),
        _f("last_name"),
        _f("role", description="For example admin, agent, coordinator."),
        _f("team_id", "integer"),
    ),
    "tags": (_req("name"), _f("color", description="CSS colour, e.g. #ff8800.")),
    "property_contacts": (
        _req("contact_id", "integer", "Id of an existing contact.", references="contacts"),
        _f("role", description="For example buyer, seller, lender."),
    ),
    "property_documents": (
        _req("name"),
        _f("url"),
        _f("file_type", description="For example pdf, docx."),
    ),
    "property_emails": (_req("subject"), _f("body"), _f("to"), _f("from")),
    "property_notes": (_req("content"), _f("author")),
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
    raise RuntimeError("sandbox FIELDS must declare exactly the resources of resources._table")


def property_fields() -> list[dict[str, Any]]:
    """The answer of ``GET /propertyFields``."""
    return [field.describe() for field in FIELDS["properties"]]
