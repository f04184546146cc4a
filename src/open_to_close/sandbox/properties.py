"""Properties as the live API serves them: field-based records (LIVE_API.md).

- ``POST /properties/`` (with the slash) ``{"team_member_id", "time_zone_id", "fields":
  [{"id": <field id>, "value": ...}]}`` answers ``{"id", "created": <unix seconds>}``;
  ``POST /properties`` answers 405 with ``Allow: GET, PATCH``, as the live API did.
- ``PATCH /properties/{id}`` ``{"fields": [...]}`` merges values and answers the record;
  ``PUT`` is 405.
- A record is ``{"id", "created", "timezone", "field_values": [...], "team_id", ...}``
  with one value per field of the account (unset ones null), a choice's value its title.
- Lists are pages of at most 50; query parameters other than ``limit`` and ``offset``
  are ignored (no filter is known on the live API).
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from .._model.codec import FieldDef
from .._model.resources import BY_ATTRIBUTE, DEFAULT_PAGE
from .account import TIME_ZONE_NAMES, property_builder
from .core import SandboxCore
from .handlers import Handler, count_param, ident, remember_for, replay
from .store import Remembered
from .validation import parse_object
from .wire import ApiError, Call, Reply

KIND = "properties"
SPEC = BY_ATTRIBUTE[KIND]
BAD_REQUEST = "Bad request"
_DATE = re.compile(r"\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?")

Record = dict[str, Any]


def unix_seconds(created: str) -> int:
    moment = datetime.strptime(created, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp())


def _created_answer(record: Record) -> str:
    return json.dumps({"id": record["id"], "created": unix_seconds(record["created"])})


def check_value(field: FieldDef, value: Any) -> Any:
    """The value to store for ``field``, or ``ValueError`` saying what it must be."""
    if value is None:
        return None
    kind = field.type
    if kind == "choice":
        option = None if isinstance(value, float) else field.option(value)
        if option is None:
            shown = ", ".join(o.title for o in field.options)
            raise ValueError(f"{value!r} is not one of its options: {shown}")
        return option.title
    if isinstance(value, bool):
        raise ValueError(f"must be {'text' if kind in ('text', 'textarea') else 'a number'}")
    if kind == "number":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value
    if kind == "decimal":
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("must be a number")
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date, YYYY-MM-DD" if kind == "date" else "must be text")
    if kind == "date" and _DATE.fullmatch(value.strip()) is None:
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


class PropertyHandlers:
    """The property routes of one sandbox."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.store = core.store
        self.account = core.account

    def collection(self) -> dict[str, Handler]:
        """``/properties``: the live API lists here but creates only at ``/properties/``."""
        return {"GET": self.list, "PATCH": self.patch_collection}

    def create_collection(self) -> dict[str, Handler]:
        """``/properties/``."""
        return {"GET": self.list, "POST": self.create}

    def item(self) -> dict[str, Handler]:
        return {"GET": self.retrieve, "PATCH": self.update, "DELETE": self.delete}

    # -- checks --------------------------------------------------------------------------

    def _values(self, raw: Any, errors: dict[str, str]) -> dict[int, Any]:
        """``fields`` as {position in field_values: value}; problems go into ``errors``."""
        if not isinstance(raw, list):
            errors["fields"] = "must be a list of {id, value} objects"
            return {}
        out: dict[int, Any] = {}
        for n, item in enumerate(raw):
            where = f"fields[{n}]"
            if not isinstance(item, dict) or "id" not in item:
                errors[where] = "must be an object with id and value"
                continue
            field_id = item["id"]
            slot = self.account.by_id.get(field_id) if type(field_id) is int else None
            if slot is None:
                errors[f"{where}.id"] = f"no property field has id {field_id!r}"
                continue
            try:
                out[slot.position] = check_value(slot.field, item.get("value"))
            except ValueError as exc:
                errors[f"{where}.value"] = f"{slot.field.key} {exc}"
        return out

    def _owner(self, member_id: Any, errors: dict[str, str]) -> Record:
        owner = self.core.owner_of(member_id) if type(member_id) is int else None
        if owner is None:
            errors["team_member_id"] = (
                f"no team member has id {member_id!r}; see GET /teams/ (team_members)"
            )
            return {}
        return owner

    def _time_zone(self, zone_id: Any, errors: dict[str, str]) -> str:
        name = TIME_ZONE_NAMES.get(zone_id) if type(zone_id) is int else None
        if name is None:
            errors["time_zone_id"] = f"no time zone has id {zone_id!r}; see GET /timeZones/"
            return ""
        return name

    # -- operations ----------------------------------------------------------------------

    def list(self, call: Call) -> Reply:
        params = call.params()
        limit = count_param(params, "limit", DEFAULT_PAGE, SPEC.max_page)
        offset = count_param(params, "offset", 0, 2**62)
        rows = self.store.page(KIND, 0, since="", limit=limit, offset=offset)
        return Reply(200, f"[{','.join(rows)}]".encode())

    def create(self, call: Call) -> Reply:
        body = parse_object(call.body)
        errors: dict[str, str] = {}
        if "team_member_id" not in body:
            errors["team_member_id"] = "is required; see GET /teams/ (team_members)"
            owner: Record = {}
        else:
            owner = self._owner(body["team_member_id"], errors)
        zone = self._time_zone(body.get("time_zone_id", 1), errors)
        if "fields" not in body:
            errors["fields"] = "is required: a list of {id, value}; see GET /propertyFields"
            values: dict[int, Any] = {}
        else:
            values = self._values(body["fields"], errors)
        if errors:
            raise ApiError(400, BAD_REQUEST, errors)
        build = property_builder(self.account, values, zone, owner)
        remember = remember_for(self.core, call, body)
        result = self.store.insert(KIND, build, 0, remember, answer=_created_answer)
        if isinstance(result, Remembered):
            return replay(result, remember)
        return Reply(201, result.encode())

    def retrieve(self, call: Call) -> Reply:
        raw = self.store.get_raw(KIND, self._id(call))
        if raw is None:
            raise _missing()
        return Reply(200, raw.encode())

    def update(self, call: Call) -> Reply:
        record_id = self._id(call)
        body = parse_object(call.body)
        errors: dict[str, str] = {}
        values = self._values(body["fields"], errors) if "fields" in body else {}
        owner = self._owner(body["team_member_id"], errors) if "team_member_id" in body else {}
        zone = self._time_zone(body["time_zone_id"], errors) if "time_zone_id" in body else ""
        if not ({"fields", "team_member_id", "time_zone_id"} & set(body)):
            errors["fields"] = "is required: a list of {id, value}; see GET /propertyFields"
        if errors:
            raise ApiError(400, BAD_REQUEST, errors)

        def change(previous: Record, now: str) -> Record:
            record = dict(previous)
            field_values = [dict(v) for v in previous["field_values"]]
            for position, value in values.items():
                field_values[position]["value"] = value
            record["field_values"] = field_values
            record.update(owner)
            if zone:
                record["timezone"] = zone
            return record

        text = self.store.update(KIND, record_id, change)
        if text is None:
            raise _missing()
        return Reply(200, text.encode())

    def delete(self, call: Call) -> Reply:
        if not self.store.delete(KIND, self._id(call)):
            raise _missing()
        return Reply(204, b"")

    def patch_collection(self, call: Call) -> Reply:
        raise ApiError(400, BAD_REQUEST, {"id": "PATCH one property: /properties/{id}"})

    def _id(self, call: Call) -> int:
        record_id = ident(call.path_params.get("id"))
        if record_id is None:
            raise _missing()
        return record_id


def _missing() -> ApiError:
    return ApiError(404, "Property not found.")
