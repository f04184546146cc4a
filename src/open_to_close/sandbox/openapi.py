"""The OpenAPI 3.1 document of the sandbox, built from the resource and field tables.

This module holds the shared pieces and the flat resources; :mod:`.openapi_live` adds
the field-based properties and the account's routes (fields, teams, time zones, roles).
"""

from __future__ import annotations

from typing import Any

from .._model.resources import DEFAULT_PAGE, RESOURCES, ResourceSpec
from .._model.schema import FIELDS, REFUSED, Field
from .._version import __version__

JSON = dict[str, Any]

_SCALAR: JSON = {"type": ["string", "number", "boolean", "null"]}
_STAMP: JSON = {"type": "string", "format": "date-time"}
_ID: JSON = {"type": "integer", "minimum": 1}
_ONLY = " Sent only with rate_limit_headers=True."
_RATE_HEADERS: JSON = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Per window." + _ONLY},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Left." + _ONLY},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Reset time." + _ONLY},
}
_LIVE_CREATED: JSON = {
    "type": "object",
    "required": ["date", "timezone_type", "timezone"],
    "properties": {
        "date": {"type": "string", "description": "YYYY-MM-DD HH:MM:SS.ffffff"},
        "timezone_type": {"type": "integer"},
        "timezone": {"type": "string"},
    },
}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _schema_name(spec: ResourceSpec) -> str:
    return "".join(part.capitalize() for part in spec.singular.split("_"))


def _field_schema(field: Field, *, nullable: bool) -> JSON:
    types: list[str] = [field.type]
    out: JSON = {}
    if field.enum is not None:
        out["enum"] = [*field.enum, None] if nullable else list(field.enum)
    elif field.type == "string" and field.required:
        out["minLength"] = 1
    if nullable:
        types.append("null")
    out["type"] = types if len(types) > 1 else types[0]
    if field.description:
        out["description"] = field.description
    return out


def _record(spec: ResourceSpec) -> JSON:
    kind = spec.attribute
    if kind == "property_contacts":
        return _PROPERTY_CONTACT
    props: JSON = {"id": _ID}
    required = ["id"]
    if spec.parent is not None:
        props["property_id"] = _ID
        required.append("property_id")
    for field in FIELDS[kind]:
        props[field.name] = _field_schema(field, nullable=not field.required)
    if kind == "contacts":
        props["created"] = _LIVE_CREATED
        required.append("created")
    else:
        props["created_at"] = _STAMP
        props["updated_at"] = _STAMP
        required += ["created_at", "updated_at"]
    if kind == "teams":
        props["team_members"] = {"type": "array", "items": _ref("TeamMember")}
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": True,
    }


_PROPERTY_CONTACT: JSON = {
    "type": "object",
    "required": ["id", "created", "priority", "property", "contact", "contact_role"],
    "properties": {
        "id": _ID,
        "created": _LIVE_CREATED,
        "priority": {"type": "string"},
        "property": {"type": "object", "required": ["id"], "properties": {"id": _ID}},
        "contact": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": _ID,
                "first_name": {"type": ["string", "null"]},
                "last_name": {"type": ["string", "null"]},
                "email": {"type": ["string", "null"]},
            },
        },
        "contact_role": {"type": "array"},
    },
}


def _body(spec: ResourceSpec, *, creating: bool) -> JSON:
    ignored = {"description": "Set by the server; ignored in requests."}
    props: JSON = {
        name: ignored for name in ("id", "property_id", "created", "created_at", "updated_at")
    }
    for field in FIELDS[spec.attribute]:
        props[field.name] = _field_schema(field, nullable=not field.required)
    for name, reason in REFUSED.get(spec.attribute, {}).items():
        props[name] = {"not": {}, "description": f"Refused (400): {reason}."}
    out: JSON = {
        "type": "object",
        "properties": props,
        "additionalProperties": {**_SCALAR, "description": "Custom fields are kept."},
    }
    required = [f.name for f in FIELDS[spec.attribute] if f.required]
    if creating and required:
        out["required"] = required
    return out


def _error(description: str, headers: JSON | None = None) -> JSON:
    out: JSON = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        out["headers"] = headers
    return out


def _responses(ok_status: str, ok: JSON, *, nested: bool, item: bool, body: bool) -> JSON:
    out: JSON = {ok_status: {**ok, "headers": _RATE_HEADERS}}
    out["400"] = _error("Bad request: the body, a field or a parameter is not valid.")
    out["401"] = _error("Missing or invalid API key.")
    if nested or item:
        out["404"] = _error("No such record, or no such property.")
    out["405"] = _error("Method not allowed.")
    if body:
        out["422"] = _error("The Idempotency-Key was used with another request.")
    out["429"] = _error(
        "Rate limit exceeded (no Retry-After unless rate_limit_headers=True).",
        {**_RATE_HEADERS, "Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    )
    out["5XX"] = _error("Server error (the sandbox injects these when faults are set).")
    return out


def _json(schema: JSON, description: str) -> JSON:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_params(spec: ResourceSpec, *, item: bool) -> list[JSON]:
    out = []
    if spec.parent is not None:
        out.append({"name": "property_id", "in": "path", "required": True, "schema": _ID})
    if item:
        out.append({"name": "id", "in": "path", "required": True, "schema": _ID})
    return out


def page_params(spec: ResourceSpec) -> list[JSON]:
    return [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "default": DEFAULT_PAGE},
            "description": f"Page size; above {spec.max_page} is treated as {spec.max_page}.",
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]


def _list_params(spec: ResourceSpec) -> list[JSON]:
    params: list[JSON] = [
        *page_params(spec),
        {
            "name": "modified_since",
            "in": "query",
            "schema": _STAMP,
            "description": "Only records with updated_at after this; no zone means UTC.",
        },
    ]
    for field in FIELDS[spec.attribute]:
        params.append(
            {
                "name": field.name,
                "in": "query",
                "schema": {"type": "string"},
                "description": "Equality filter (any other field name filters too).",
            }
        )
    return params


def _operations(spec: ResourceSpec) -> tuple[JSON, JSON]:
    name = _schema_name(spec)
    nested = spec.parent is not None
    record = _json(_ref(name), f"The {spec.singular.replace('_', ' ')}.")
    idempotency = {
        "name": "Idempotency-Key",
        "in": "header",
        "schema": {"type": "string"},
        "description": "Replays the first committed answer for the same key; ignored "
        "unless the sandbox runs with idempotency_keys=True (the live API ignores it).",
    }
    collection: JSON = {
        "parameters": _path_params(spec, item=False),
        "get": {
            "operationId": f"list_{spec.plural}",
            "parameters": _list_params(spec),
            "responses": _responses(
                "200",
                _json({"type": "array", "items": _ref(name)}, "One page, by id."),
                nested=nested,
                item=False,
                body=False,
            ),
        },
        "post": {
            "operationId": f"create_{spec.singular}",
            "parameters": [idempotency],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(f"{name}Create")}},
            },
            "responses": _responses("201", record, nested=nested, item=False, body=True),
        },
    }
    update = {"required": True, "content": {"application/json": {"schema": _ref(f"{name}Update")}}}
    if spec.attribute == "property_contacts":
        return collection, {
            "parameters": _path_params(spec, item=True),
            "get": {
                "operationId": f"retrieve_{spec.singular}",
                "responses": _responses("200", record, nested=nested, item=True, body=False),
            },
        }
    item: JSON = {
        "parameters": _path_params(spec, item=True),
        "get": {
            "operationId": f"retrieve_{spec.singular}",
            "responses": _responses("200", record, nested=nested, item=True, body=False),
        },
        "put": {
            "operationId": f"update_{spec.singular}",
            "requestBody": update,
            "responses": _responses("200", record, nested=nested, item=True, body=True),
        },
        "patch": {
            "operationId": f"patch_{spec.singular}",
            "requestBody": update,
            "responses": _responses("200", record, nested=nested, item=True, body=True),
        },
        "delete": {
            "operationId": f"delete_{spec.singular}",
            "responses": _responses(
                "204", {"description": "Deleted."}, nested=nested, item=True, body=False
            ),
        },
    }
    return collection, item


def build_openapi() -> JSON:
    """The document served at ``GET /v1/openapi.json``."""
    from .openapi_live import add_live_docs

    paths: JSON = {}
    schemas: JSON = {
        "Error": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    }
    for spec in RESOURCES:
        if spec.attribute == "properties":
            continue
        name = _schema_name(spec)
        schemas[name] = _record(spec)
        schemas[f"{name}Create"] = _body(spec, creating=True)
        schemas[f"{name}Update"] = _body(spec, creating=False)
        paths[spec.collection_template], paths[spec.item_template] = _operations(spec)
    paths["/openapi.json"] = {
        "get": {
            "operationId": "get_openapi",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "This document.")},
        }
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Open To Close API (sandbox)",
            "version": __version__,
            "description": "A local, stateful twin of the Open To Close REST API, as the "
            "live API behaves: field-based properties, pages of at most 100 (properties "
            "50), 429 without rate-limit headers. Collections answer with or without a "
            "trailing slash; a property is created only at POST /properties/.",
        },
        "servers": [{"url": "/v1"}],
        "security": [{"apiToken": []}, {"bearer": []}],
        "components": {
            "securitySchemes": {
                "apiToken": {"type": "apiKey", "in": "query", "name": "api_token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": schemas,
        },
        "paths": paths,
    }
    return add_live_docs(document)
