"""The eleven resources of the Open To Close API, declared once.

The client's resource classes and the sandbox's routes are both built from this table,
so a path or a name is spelled in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    attribute: str  # attribute on the client: ``property_notes``
    path: str  # collection path under its parent: ``/notes``
    singular: str  # method suffix for one record: ``property_note``
    plural: str  # method suffix for many: ``property_notes``
    parent: str | None = None  # attribute of the parent resource, if nested

    @property
    def collection_template(self) -> str:
        """Path template of the collection: ``/properties/{property_id}/notes``."""
        if self.parent is None:
            return self.path
        return f"{BY_ATTRIBUTE[self.parent].path}/{{property_id}}{self.path}"

    @property
    def item_template(self) -> str:
        """Path template of one record: ``/properties/{property_id}/notes/{id}``."""
        return f"{self.collection_template}/{{id}}"


RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec("agents", "/agents", "agent", "agents"),
    ResourceSpec("contacts", "/contacts", "contact", "contacts"),
    ResourceSpec("properties", "/properties", "property", "properties"),
    ResourceSpec("teams", "/teams", "team", "teams"),
    ResourceSpec("users", "/users", "user", "users"),
    ResourceSpec("tags", "/tags", "tag", "tags"),
    ResourceSpec(
        "property_contacts", "/contacts", "property_contact", "property_contacts", "properties"
    ),
    ResourceSpec(
        "property_documents", "/documents", "property_document", "property_documents", "properties"
    ),
    ResourceSpec("property_emails", "/emails", "property_email", "property_emails", "properties"),
    ResourceSpec("property_notes", "/notes", "property_note", "property_notes", "properties"),
    ResourceSpec("property_tasks", "/tasks", "property_task", "property_tasks", "properties"),
)

BY_ATTRIBUTE: dict[str, ResourceSpec] = {spec.attribute: spec for spec in RESOURCES}
