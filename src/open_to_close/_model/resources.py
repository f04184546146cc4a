"""The eleven resources of the Open To Close API, declared once.

The client's resource classes and the sandbox's routes are both built from this table,
so a path or a name is spelled in exactly one place. Live facts (LIVE_API.md): lists
give 20 records unless ``limit`` says otherwise and at most 100 (properties 50); a
property is created by ``POST /properties/`` (with the slash); a note's text is
``description``, which the guide calls ``content``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_PAGE = 20
"""Records a list answers when no ``limit`` is given."""
MAX_PAGE = 100
"""The most records a list answers, whatever ``limit`` asks."""


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    attribute: str  # attribute on the client: ``property_notes``
    path: str  # collection path under its parent: ``/notes``
    singular: str  # method suffix for one record: ``property_note``
    plural: str  # method suffix for many: ``property_notes``
    parent: str | None = None  # attribute of the parent resource, if nested
    max_page: int = MAX_PAGE  # the server's clamp on ``limit``
    create_suffix: str = ""  # what the live API wants after the collection path on POST
    # The guide's name of a field -> the API's name (writes are renamed, reads get both).
    renames: dict[str, str] = field(default_factory=dict)

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
    ResourceSpec(
        "properties", "/properties", "property", "properties", max_page=50, create_suffix="/"
    ),
    ResourceSpec("teams", "/teams", "team", "teams"),
    ResourceSpec("users", "/users", "user", "users"),
    ResourceSpec("tags", "/tags", "tag", "tags", renames={"name": "title"}),
    ResourceSpec(
        "property_contacts", "/contacts", "property_contact", "property_contacts", "properties"
    ),
    ResourceSpec(
        "property_documents", "/documents", "property_document", "property_documents", "properties"
    ),
    ResourceSpec("property_emails", "/emails", "property_email", "property_emails", "properties"),
    ResourceSpec(
        "property_notes",
        "/notes",
        "property_note",
        "property_notes",
        "properties",
        renames={"content": "description"},
    ),
    ResourceSpec("property_tasks", "/tasks", "property_task", "property_tasks", "properties"),
)

BY_ATTRIBUTE: dict[str, ResourceSpec] = {spec.attribute: spec for spec in RESOURCES}
