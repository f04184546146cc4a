"""CRUD for the flat resources (all but properties): list, create, retrieve, update, delete.

Handlers are plain synchronous functions: they run between two awaits, so each one is
atomic with respect to the other requests the event loop is serving.

Live shapes (LIVE_API.md): a contact carries ``created`` as ``{"date", "timezone_type",
"timezone"}``; a property contact is made from ``contact_id`` alone and answers ``{"id",
"created", "priority", "property": {"id"}, "contact": {...}, "contact_role": []}``, and
can't be changed or deleted (405). The others keep the guide's ``created_at`` and
``updated_at``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from .._model.resources import DEFAULT_PAGE, ResourceSpec
from .._model.schema import FIELDS
from .core import SandboxCore
from .store import Build, Remember, Remembered, stamped
from .timestamps import parse_since, plain_micros
from .validation import BAD_REQUEST, clean_fields, parse_object
from .wire import ApiError, Call, Reply

Handler = Callable[[Call], Reply]

_MAX_OFFSET = 2**62  # SQLite integers are 64-bit; anything past this is past the end anyway
_MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_REPLAYED = ((b"idempotent-replayed", b"true"),)


def ident(text: str | None) -> int | None:
    if text is None or _DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if 0 < value <= _MAX_ID else None


def count_param(params: dict[str, str], name: str, default: int, cap: int) -> int:
    text = params.pop(name, None)
    if text is None:
        return default
    if _DIGITS.fullmatch(text.strip()) is None:
        raise ApiError(400, BAD_REQUEST, {name: "must be a whole number, 0 or more"})
    return min(int(text), cap)


def remember_for(core: SandboxCore, call: Call, body: dict[str, Any]) -> Remember | None:
    """What to remember the create under, when the sandbox honours Idempotency-Key."""
    key = call.header(b"idempotency-key") if core.idempotency_keys else None
    if not key:
        return None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"{call.path}\n{canonical}".encode()).hexdigest()
    return Remember(core.key_scope, key, fingerprint)


def replay(result: Remembered, remember: Remember | None) -> Reply:
    if remember is None or result.fingerprint != remember.fingerprint:
        raise ApiError(
            422,
            "This Idempotency-Key was already used with a different request.",
            {"Idempotency-Key": "was used with a different request body or path"},
        )
    return Reply(result.status, result.body.encode(), _REPLAYED)


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
    """The operations of one flat resource, bound to a sandbox."""

    def __init__(self, core: SandboxCore, spec: ResourceSpec) -> None:
        self.core = core
        self.store = core.store
        self.kind = spec.attribute
        self.max_page = spec.max_page
        self.nested = spec.parent is not None
        self.references = {f.name: f.references for f in FIELDS[self.kind] if f.references}
        self.noun = spec.singular.replace("_", " ")

    def collection(self) -> dict[str, Handler]:
        return {"GET": self.list, "POST": self.create}

    def item(self) -> dict[str, Handler]:
        if self.kind == "property_contacts":
            return {"GET": self.retrieve}  # the live API answers 405 to PUT and DELETE
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
        property_id = ident(call.path_params.get("property_id"))
        if property_id is None or not self.store.exists("properties", property_id):
            raise ApiError(404, "Property not found.")
        return property_id

    def _id(self, call: Call) -> int:
        record_id = ident(call.path_params.get("id"))
        if record_id is None:
            raise self._missing()
        return record_id

    def _missing(self) -> ApiError:
        return ApiError(404, f"{self.noun.capitalize()} not found.")

    def _referenced(self, fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The records the fields' ids name (400 if one doesn't exist)."""
        errors, found = {}, {}
        for name, kind in self.references.items():
            value = fields.get(name)
            if value is None:
                continue
            record = self.store.get(kind, value) if ident(str(value)) else None
            if record is None:
                errors[name] = f"no {kind[:-1]} has id {value}"
            else:
                found[name] = record
        if errors:
            raise ApiError(400, BAD_REQUEST, errors)
        return found

    def _build(self, fields: dict[str, Any], parent: int) -> Build:
        if self.kind == "property_contacts":
            contact = self._referenced(fields)["contact_id"]
            return _property_contact(parent, contact)
        if self.kind == "contacts":

            def build(record_id: int, now: str) -> dict[str, Any]:
                return {
                    "id": record_id,
                    "created": {"date": plain_micros(now), "timezone_type": 3, "timezone": "UTC"},
                    **fields,
                }

            return build
        if self.kind == "teams":
            fields = {**fields, "team_members": []}
        self._referenced(fields)
        return stamped(fields, parent)

    # -- operations ----------------------------------------------------------------------

    def list(self, call: Call) -> Reply:
        parent = self._parent(call)
        params = call.params()
        limit = count_param(params, "limit", DEFAULT_PAGE, self.max_page)
        offset = count_param(params, "offset", 0, _MAX_OFFSET)
        since = ""  # sorts before every stamp
        if "modified_since" in params:
            try:
                since = parse_since(params.pop("modified_since"))
            except ValueError as exc:
                raise ApiError(400, str(exc), {"modified_since": str(exc)}) from None
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
        build = self._build(fields, parent)
        remember = remember_for(self.core, call, body)
        result = self.store.insert(self.kind, build, parent, remember)
        if isinstance(result, Remembered):
            return replay(result, remember)
        return Reply(201, result.encode())

    def retrieve(self, call: Call) -> Reply:
        # A sub-record's parent_id is its property, and deleting a property deletes its
        # sub-records, so one lookup serves the hot path; the parent is checked on a miss.
        record_id = self._id(call)
        parent = 0
        if self.nested:
            parent = ident(call.path_params.get("property_id")) or 0
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
        self._referenced(fields)
        text = self.store.update(self.kind, record_id, fields, parent)
        if text is None:
            raise self._missing()
        return Reply(200, text.encode())

    def delete(self, call: Call) -> Reply:
        parent = self._parent(call)
        if not self.store.delete(self.kind, self._id(call), parent):
            raise self._missing()
        return Reply(204, b"")


def _property_contact(property_id: int, contact: dict[str, Any]) -> Build:
    def build(record_id: int, now: str) -> dict[str, Any]:
        return {
            "id": record_id,
            "created": {"date": plain_micros(now), "timezone_type": 3, "timezone": "UTC"},
            "priority": "",
            "property": {"id": property_id},
            "contact": {
                "id": contact["id"],
                "first_name": contact.get("first_name"),
                "last_name": contact.get("last_name"),
                "email": contact.get("email"),
            },
            "contact_role": [],
        }

    return build
