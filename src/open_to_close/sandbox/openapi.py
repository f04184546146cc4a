"""The OpenAPI 3.1 document of the sandbox, built from the resource and field tables."""

from __future__ import annotations

from typing import Any

from .._version import __version__
from .._model.resources import RESOURCES, ResourceSpec
from .handlers import DEFAULT_LIMIT, MAX_LIMIT
from .._model.schema import FIELDS, Field

JSON = dict[str, Any]

_SCALAR: JSON = {"type": ["string", "number", "boolean", "null"]}
_STAMP: JSON = {"type": "string", "format": "date-time"}
_ID: JSON = {"type": "integer", "minimum": 1}
_RATE_HEADERS: JSON = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests per window."},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Left in window."},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Unix time it resets."},
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
    props: JSON = {"id": _ID}
    required = ["id", "created_at", "updated_at"]
    if spec.parent is not None:
        props["property_id"] = _ID
        required.append("property_id")
    for field in FIELDS[spec.attribute]:
        props[field.name] = _field_schema(field, nullable=not field.required)
    props["created_at"] = _STAMP
    props["updated_at"] = _STAMP
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": _SCALAR,
    }


def _body(spec: ResourceSpec, *, creating: bool) -> JSON:
    ignored = {"description": "Set by the server; ignored in requests."}
    props: JSON = {name: ignored for name in ("id", "property_id", "created_at", "updated_at")}
    for field in FIELDS[spec.attribute]:
        props[field.name] = _field_schema(field, nullable=not field.required)
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
    if body:
        out["400"] = _error("The body is not a JSON object.")
    out["401"] = _error("Missing or invalid API key.")
    if nested or item:
        out["404"] = _error("No such record, or no such property.")
    out["405"] = _error("Method not allowed.")
    out["422"] = _error("Invalid fields or parameters.")
    out["429"] = _error(
        "Rate limit exceeded.",
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


def _list_params(spec: ResourceSpec) -> list[JSON]:
    params: list[JSON] = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "default": DEFAULT_LIMIT},
            "description": f"Page size; above {MAX_LIMIT} is treated as {MAX_LIMIT}.",
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
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
        "description": "Replays the first committed answer for the same key.",
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
        "PropertyField": {
            "type": "object",
            "required": ["name", "type", "required"],
            "properties": {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": ["string", "number", "integer"]},
                "required": {"type": "boolean"},
                "description": {"type": "string"},
                "enum": {"type": "array", "items": {"type": "string"}},
            },
        },
    }
    for spec in RESOURCES:
        name = _schema_name(spec)
        schemas[name] = _record(spec)
        schemas[f"{name}Create"] = _body(spec, creating=True)
        schemas[f"{name}Update"] = _body(spec, creating=False)
        paths[spec.collection_template], paths[spec.item_template] = _operations(spec)
    paths["/propertyFields"] = {
        "get": {
            "operationId": "get_property_fields",
            "responses": _responses(
                "200",
                _json({"type": "array", "items": _ref("PropertyField")}, "Fields."),
                nested=False,
                item=False,
                body=False,
            ),
        }
    }
    paths["/openapi.json"] = {
        "get": {
            "operationId": "get_openapi",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "This document.")},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Open To Close API (sandbox)",
            "version": __version__,
            "description": "A local, stateful twin of the Open To Close REST API.",
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
