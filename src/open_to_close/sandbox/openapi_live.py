"""The OpenAPI of what the live API does its own way: field-based properties and the
account's routes (``/propertyFields``, ``/teams/`` members, ``/timeZones``,
``/contactRoles``), and the 405s the live API answers."""

from __future__ import annotations

from typing import Any

from .._model.property_fields import FIELD_TYPES
from .._model.resources import BY_ATTRIBUTE
from .openapi import JSON, _error, _json, _ref, _responses, page_params

_ID: JSON = {"type": "integer", "minimum": 1}
_VALUE: JSON = {"type": ["string", "number", "null"]}
_NULLABLE_TEXT: JSON = {"type": ["string", "null"]}
_SPEC = BY_ATTRIBUTE["properties"]


def _object(required: list[str], props: JSON) -> JSON:
    return {"type": "object", "required": required, "properties": props}


def _array(item: JSON) -> JSON:
    return {"type": "array", "items": item}


def _body(name: str) -> JSON:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


_FIELD_CHANGES: JSON = {
    "type": "array",
    "items": _object(["id"], {"id": {"type": "integer"}, "value": _VALUE}),
    "description": "Field ids from GET /propertyFields; a choice by option id or title.",
}

SCHEMAS: JSON = {
    "FieldValue": _object(
        ["id", "value", "type", "label", "key"],
        {
            "id": {**_ID, "description": "This value's own id (not the field's)."},
            "value": {**_VALUE, "description": "A choice's value is its option's title."},
            "type": {"type": "string", "enum": list(FIELD_TYPES)},
            "label": {"type": "string"},
            "key": {"type": "string"},
            "start_time": _NULLABLE_TEXT,
            "end_time": _NULLABLE_TEXT,
        },
    ),
    "Property": _object(
        ["id", "created", "timezone", "field_values", "team_id", "team_user_id", "agent_id"],
        {
            "id": _ID,
            "created": {"type": "string", "description": "YYYY-MM-DD HH:MM:SS (UTC)."},
            "timezone": {"type": "string"},
            "field_values": _array(_ref("FieldValue")),
            "team_id": {"type": ["integer", "null"]},
            "team_name": _NULLABLE_TEXT,
            "team_user_id": {"type": ["integer", "null"]},
            "team_user_name": _NULLABLE_TEXT,
            "agent_id": {"type": ["integer", "null"]},
            "agent_name": _NULLABLE_TEXT,
            "brokerage": _NULLABLE_TEXT,
        },
    ),
    "PropertyCreate": _object(
        ["team_member_id", "fields"],
        {
            "team_member_id": {"type": "integer", "description": "From GET /teams/."},
            "time_zone_id": {"type": "integer", "default": 1, "description": "GET /timeZones."},
            "fields": _FIELD_CHANGES,
        },
    ),
    "PropertyUpdate": {
        **_object(
            [],
            {
                "fields": _FIELD_CHANGES,
                "team_member_id": {"type": "integer"},
                "time_zone_id": {"type": "integer"},
            },
        ),
        "anyOf": [
            {"required": ["fields"]},
            {"required": ["team_member_id"]},
            {"required": ["time_zone_id"]},
        ],
    },
    "PropertyCreated": _object(
        ["id", "created"],
        {"id": _ID, "created": {"type": "integer", "description": "Unix seconds."}},
    ),
    "PropertyFieldGroup": _object(
        ["group"],
        {
            "group": _object(
                ["id", "title", "sections"],
                {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "sections": _array(_object(["section"], {"section": _ref("FieldSection")})),
                },
            )
        },
    ),
    "FieldSection": _object(
        ["id", "title", "fields"],
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "fields": _array(
                _object(
                    ["id", "key", "title", "type", "options"],
                    {
                        "id": {"type": "integer"},
                        "key": {"type": "string"},
                        "title": {"type": "string"},
                        "type": {"type": "string", "enum": list(FIELD_TYPES)},
                        "options": _array(
                            _object(
                                ["id", "title"],
                                {"id": {"type": "integer"}, "title": {"type": "string"}},
                            )
                        ),
                    },
                )
            ),
        },
    ),
    "TeamMember": _object(
        ["id", "user_id", "name"],
        {"id": _ID, "user_id": _ID, "name": {"type": "string"}, "email": {"type": "string"}},
    ),
    "TimeZone": _object(
        ["id", "country_code", "country_zone", "zone_abbreviation"],
        {
            "id": _ID,
            "country_code": {"type": "string"},
            "country_zone": {"type": "string"},
            "zone_abbreviation": {"type": "string"},
        },
    ),
    "ContactRole": _object(["id", "title"], {"id": _ID, "title": {"type": "string"}}),
}


def _get(operation_id: str, schema: JSON, description: str) -> JSON:
    return {
        "get": {
            "operationId": operation_id,
            "responses": _responses(
                "200", _json(schema, description), nested=False, item=False, body=False
            ),
        }
    }


def _property_paths() -> JSON:
    one = _json(_ref("Property"), "The property, with every field of the account.")
    listing = {
        "operationId": "list_properties",
        "parameters": page_params(_SPEC),
        "description": "Other query parameters are ignored (no filter is known live).",
        "responses": _responses(
            "200",
            _json(_array(_ref("Property")), "One page (at most 50), by id."),
            nested=False,
            item=False,
            body=False,
        ),
    }
    id_param: Any = {"name": "id", "in": "path", "required": True, "schema": _ID}
    return {
        "/properties": {
            "description": "As on the live API, POST here (without the slash) answers 405 "
            "with Allow: GET, PATCH; create at POST /properties/.",
            "get": listing,
            "patch": {
                "operationId": "patch_properties_collection",
                "description": "Named by the live API's Allow header; what it does there is "
                "unknown. The sandbox answers 400: PATCH one property at /properties/{id}.",
                "responses": {
                    "400": _error("Bad request."),
                    "401": _error("Missing or invalid API key."),
                },
            },
        },
        "/properties/": {
            "get": {**listing, "operationId": "list_properties_slash"},
            "post": {
                "operationId": "create_property",
                "requestBody": _body("PropertyCreate"),
                "responses": _responses(
                    "201",
                    _json(_ref("PropertyCreated"), "The new property's id and time."),
                    nested=False,
                    item=False,
                    body=True,
                ),
            },
        },
        "/properties/{id}": {
            "description": "PUT answers 405 with Allow: GET, PATCH, DELETE, as on the live API.",
            "parameters": [id_param],
            "get": {
                "operationId": "retrieve_property",
                "responses": _responses("200", one, nested=False, item=True, body=False),
            },
            "patch": {
                "operationId": "patch_property",
                "requestBody": _body("PropertyUpdate"),
                "responses": _responses("200", one, nested=False, item=True, body=True),
            },
            "delete": {
                "operationId": "delete_property",
                "responses": _responses(
                    "204", {"description": "Deleted."}, nested=False, item=True, body=False
                ),
            },
        },
    }


def add_live_docs(document: JSON) -> JSON:
    """Add the properties and the account's routes to the sandbox's OpenAPI document."""
    document["components"]["schemas"].update(SCHEMAS)
    paths = document["paths"]
    paths.update(_property_paths())
    paths["/propertyFields"] = _get(
        "get_property_fields", _array(_ref("PropertyFieldGroup")), "Groups of sections of fields."
    )
    paths["/propertyFieldGroups"] = _get(
        "get_property_field_groups",
        _array(_object(["id", "title"], {"id": {"type": "integer"}, "title": {"type": "string"}})),
        "The field groups.",
    )
    paths["/propertyFieldSections"] = _get(
        "get_property_field_sections",
        _array(
            _object(
                ["id", "title", "group_id"],
                {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "group_id": {"type": "integer"},
                },
            )
        ),
        "The field sections.",
    )
    paths["/timeZones"] = _get("list_time_zones", _array(_ref("TimeZone")), "Time zones.")
    paths["/contactRoles"] = _get("list_contact_roles", _array(_ref("ContactRole")), "Roles.")
    return document
