"""Request bodies: parse them strictly, then check them against the field table."""

from __future__ import annotations

import json
import math
from typing import Any

from .._model.schema import BY_NAME, FIELDS, READ_ONLY, REFUSED
from .wire import ApiError

BAD_REQUEST = "Bad request"
_NOT_OBJECT = "Bad request: the body must be a JSON object."


def _finite(text: str) -> float:
    value = float(text)
    # 1e400 parses to inf, which json.dumps would then write as the non-JSON "Infinity".
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _no_constants(text: str) -> Any:
    raise ValueError(f"not valid JSON: {text}")


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or :class:`ApiError` (400)."""
    try:
        data = json.loads(body, parse_float=_finite, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise ApiError(400, _NOT_OBJECT, {"body": "is not valid JSON"}) from None
    if not isinstance(data, dict):
        raise ApiError(400, _NOT_OBJECT, {"body": "must be a JSON object"})
    return data


def clean_fields(kind: str, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The storable fields of ``body``, or :class:`ApiError` (400) naming each bad one.

    Known fields are type-checked; unknown fields are kept when their value is a scalar,
    because users sync custom fields through the API.
    """
    known = BY_NAME[kind]
    refused = REFUSED.get(kind, {})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in body.items():
        if name in READ_ONLY:
            continue
        field = known.get(name)
        if name in refused:
            reason: str | None = refused[name]
        elif field is not None:
            reason = field.problem(value)
        elif isinstance(value, dict | list):
            reason = "custom fields must be a string, number, boolean or null"
        else:
            reason = None
        if reason is None:
            clean[name] = value
        else:
            errors[name] = reason
    if creating:
        for field in FIELDS[kind]:
            if field.required and field.name not in body:
                errors[field.name] = "is required"
    if errors:
        raise ApiError(400, BAD_REQUEST, errors)
    return clean
