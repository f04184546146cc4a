"""CRUD for one resource of the table: list, create, retrieve, update, delete.

Handlers are plain synchronous functions: they run between two awaits, so each one is
atomic with respect to the other requests the event loop is serving.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from .._model.resources import ResourceSpec
from .core import SandboxCore
from .._model.schema import FIELDS
from .store import Remember, Remembered
from .timestamps import parse_since
from .validation import clean_fields, parse_object
from .wire import ApiError, Call, Reply

Handler = Callable[[Call], Reply]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_MAX_OFFSET = 2**62  # SQLite integers are 64-bit; anything past this is past the end anyway
_MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_REPLAYED = ((b"idempotent-replayed", b"true"),)


def _ident(text: str | None) -> int | None:
    if text is None or _DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if 0 < value <= _MAX_ID else None


def _count(params: dict[str, str], name: str, default: int, cap: int) -> int:
    text = params.pop(name, None)
    if text is None:
        return default
    if _DIGITS.fullmatch(text.strip()) is None:
        raise ApiError(422, f"Invalid {name}.", {name: "must be a whole number, 0 or more"})
    return min(int(text), cap)


def _matches(record: dict[str, Any], filters: dict[str, str]) -> bool:
    """Equality on each field, compared as the query string spells values."""
    for name, wanted in filters.items():
        value = record.get(name)
        if isinstance(value, bool):
            ok = wanted == ("true" if value else "false")
        elif value is None:
            ok = wanted == "null" and name in record
        elif isinstance(value, int | float):
            ok = str(value) == wanted or _same_number(value, wanted)
        else:
            ok = str(value) == wanted
        if not ok:
            return False
    return True


def _same_number(value: float, wanted: str) -> bool:
    try:
        return float(wanted) == value
    except ValueError:
        return False


class ResourceHandlers:
    """The five operations of one resource, bound to a sandbox."""

    def __init__(self, core: SandboxCore, spec: ResourceSpec) -> None:
        self.core = core
        self.store = core.store
        self.kind = spec.attribute
        self.nested = spec.parent is not None
        self.references = {f.name: f.references for f in FIELDS[self.kind] if f.references}
        self.noun = spec.singular.replace("_", " ")

    def collection(self) -> dict[str, Handler]:
        return {"GET": self.list, "POST": self.create}

    def item(self) -> dict[str, Handler]:
        return {
            "GET": self.retrieve,
            "PUT": self.update,
            "PATCH": self.update,
            "DELETE": self.delete,
        }

    # -- helpers -------------------------------------------------------------------------

    def _parent(self, call: Call) -> int:
        """The property id of a nested path (404 unless it exists); 0 for top level."""
        if not self.nested:
            return 0
        property_id = _ident(call.path_params.get("property_id"))
        if property_id is None or not self.store.exists("properties", property_id):
            raise ApiError(404, "Property not found.")
        return property_id

    def _id(self, call: Call) -> int:
        record_id = _ident(call.path_params.get("id"))
        if record_id is None:
            raise self._missing()
        return record_id

    def _missing(self) -> ApiError:
        return ApiError(404, f"{self.noun.capitalize()} not found.")

    def _check_references(self, fields: dict[str, Any]) -> None:
        errors = {}
        for name, kind in self.references.items():
            value = fields.get(name)
            if value is None:
                continue
            if _ident(str(value)) is None or not self.store.exists(kind, value):
                errors[name] = f"no {kind[:-1]} has id {value}"
        if errors:
            raise ApiError(422, "The request refers to records that don't exist.", errors)

    # -- operations ----------------------------------------------------------------------

    def list(self, call: Call) -> Reply:
        parent = self._parent(call)
        params = call.params()
        limit = _count(params, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        offset = _count(params, "offset", 0, _MAX_OFFSET)
        since = ""  # sorts before every stamp
        if "modified_since" in params:
            try:
                since = parse_since(params.pop("modified_since"))
            except ValueError as exc:
                raise ApiError(422, str(exc), {"modified_since": str(exc)}) from None
        if params:
            rows = [
                row
                for row in self.store.scan(self.kind, parent, since=since)
                if _matches(json.loads(row), params)
            ][offset : offset + limit]
        else:
            rows = self.store.page(self.kind, parent, since=since, limit=limit, offset=offset)
        return Reply(200, f"[{','.join(rows)}]".encode())

    def create(self, call: Call) -> Reply:
        parent = self._parent(call)
        body = parse_object(call.body)
        fields = clean_fields(self.kind, body, creating=True)
        key = call.header(b"idempotency-key")
        remember = None
        if key:
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
            fingerprint = hashlib.sha256(f"{call.path}\n{canonical}".encode()).hexdigest()
            remember = Remember(self.core.key_scope, key, fingerprint)
        self._check_references(fields)
        result = self.store.create(self.kind, fields, parent, remember)
        if isinstance(result, Remembered):
            if remember is None or result.fingerprint != remember.fingerprint:
                raise ApiError(
                    422,
                    "This Idempotency-Key was already used with a different request.",
                    {"Idempotency-Key": "was used with a different request body or path"},
                )
            return Reply(result.status, result.body.encode(), _REPLAYED)
        return Reply(201, result.encode())

    def retrieve(self, call: Call) -> Reply:
        # A sub-record's parent_id is its property, and deleting a property deletes its
        # sub-records, so one lookup serves the hot path; the parent is checked on a miss.
        record_id = self._id(call)
        parent = 0
        if self.nested:
            parent = _ident(call.path_params.get("property_id")) or 0
        raw = self.store.get_raw(self.kind, record_id, parent)
        if raw is None:
            if self.nested and not (parent and self.store.exists("properties", parent)):
                raise ApiError(404, "Property not found.")
            raise self._missing()
        return Reply(200, raw.encode())

    def update(self, call: Call) -> Reply:
        parent = self._parent(call)
        record_id = self._id(call)
        fields = clean_fields(self.kind, parse_object(call.body), creating=False)
        self._check_references(fields)
        text = self.store.update(self.kind, record_id, fields, parent)
        if text is None:
            raise self._missing()
        return Reply(200, text.encode())

    def delete(self, call: Call) -> Reply:
        parent = self._parent(call)
        if not self.store.delete(self.kind, self._id(call), parent):
            raise self._missing()
        return Reply(204, b"")
