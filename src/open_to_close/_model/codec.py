"""Between the guide's flat property and the live API's fields, both ways, without I/O.

:class:`PropertyCodec`, over an account's :class:`~.field_table.FieldTable`, turns a flat
dict (the
guide's names, field keys, option titles, flat statuses) into the API's
``[{"id": <field id>, "value": ...}]`` and adds the flat names to a record the API sent.
The client, the sandbox (for its webhook bodies) and sync share it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..exceptions import ValidationError
from .field_table import FieldDef, FieldTable, Option, number_text
from .flat import (
    ADDRESS,
    ALIAS_TYPES,
    DEFAULT_FIELD_ALIASES,
    PROPERTY_RECORD_KEYS,
    STATUS,
    TITLE,
    FlatType,
    normalize,
    resolve_status_map,
)

__all__ = ["FieldDef", "FieldTable", "Option", "PropertyCodec"]

Record = dict[str, Any]

_SHOWN = 12  # valid choices listed in an error before "..."


def _listing(values: Iterable[str]) -> str:
    values = list(values)
    shown = ", ".join(values[:_SHOWN])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _SHOWN else "")


class PropertyCodec:
    """The flat view of one account: which key each flat name means, and the statuses."""

    def __init__(
        self,
        table: FieldTable,
        field_aliases: Mapping[str, str] | None = None,
        status_map: Mapping[str, str] | None = None,
    ) -> None:
        self.table = table
        self.aliases: dict[str, str] = {**DEFAULT_FIELD_ALIASES, **(field_aliases or {})}
        self.types: dict[str, FlatType] = {
            name: ALIAS_TYPES.get(name, "any") if key == DEFAULT_FIELD_ALIASES.get(name) else "any"
            for name, key in self.aliases.items()
        }
        self._positions: dict[str, int] = {}  # where each aliased key sat last time
        self._names_of: dict[Any, tuple[str, ...]] = {}
        for name, key in self.aliases.items():
            self._names_of[key] = (*self._names_of.get(key, ()), name)
        status_field = table.get(self.aliases.get(STATUS, ""))
        titles = [o.title for o in status_field.options] if status_field else []
        self.statuses: dict[str, str] = resolve_status_map(titles, status_map)
        self._flat_status: dict[str, str] = {}
        for flat, title in self.statuses.items():
            self._flat_status.setdefault(title, flat)
        self._status_by_norm = {normalize(flat): title for flat, title in self.statuses.items()}

    # -- reads ---------------------------------------------------------------------------

    def flatten(self, record: Mapping[str, Any]) -> Record:
        """``record`` plus a flat key for each alias whose field it has; the API's own
        keys are never overwritten."""
        out = dict(record)
        values = record.get("field_values")
        if not isinstance(values, list):
            return out
        for key, entry in self._aliased_values(values):
            for name in self._names_of[key]:
                if name not in record:
                    out[name] = self.flat_value(name, entry.get("value"))
        return out

    def _aliased_values(self, values: list[Any]) -> list[tuple[str, Record]]:
        """The entries of ``values`` whose key an alias names. Records of one account list
        their fields in the same order, so the positions seen last are tried first: 14
        look-ups instead of a walk over ~500 values."""
        positions = self._positions
        found: list[tuple[str, Record]] = []
        size = len(values)
        for key, at in positions.items():
            entry = values[at] if at < size else None
            if not isinstance(entry, dict) or entry.get("key") != key:
                break
            found.append((key, entry))
        else:
            if len(found) == len(self._names_of):
                return found
        found = []
        positions.clear()
        for at, entry in enumerate(values):
            name = entry.get("key") if isinstance(entry, dict) else None
            if isinstance(name, str) and name in self._names_of and name not in positions:
                positions[name] = at
                found.append((name, entry))
        return found

    def flat_value(self, name: str, value: Any) -> Any:
        """How the flat name ``name`` shows the API's ``value``."""
        kind = self.types.get(name, "any")
        if value is None or value == "":
            return None if kind in ("int", "number") else value
        if kind == STATUS:
            return self._flat_status.get(str(value), value)
        if kind in ("int", "number"):
            return _as_number(value, integer=kind == "int")
        return value

    def status_title(self, flat: str) -> str | None:
        """The account's option title for a flat status (``active`` -> ``Listing-Active``)."""
        return self._status_by_norm.get(normalize(flat))

    # -- writes --------------------------------------------------------------------------

    def encode(self, data: Mapping[str, Any], *, creating: bool = False) -> list[Record]:
        """``[{"id": field id, "value": ...}]`` for a flat dict or field keys.

        Every bad name, key or value is collected first, then one :class:`ValidationError`
        names them all, with what is valid; nothing is sent.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a dict of fields; got {type(data).__name__}")
        items = dict(data)
        if creating and TITLE not in items and self.aliases.get(TITLE) not in items:
            address = items.get(ADDRESS, items.get(self.aliases.get(ADDRESS, "")))
            if address not in (None, "") and self.aliases.get(TITLE) in self.table:
                items[TITLE] = address
        errors: dict[str, str] = {}
        fields: list[Record] = []
        seen: dict[str, str] = {}
        for name, value in items.items():
            if name in PROPERTY_RECORD_KEYS and name not in self.aliases:
                continue  # the record's own keys, sent back by a read-modify-write
            key = self.aliases.get(name, name)
            field = self.table.get(key)
            if field is None:
                errors[name] = self._unknown(name)
                continue
            if key in seen:
                errors[name] = f"names the same field ({key}) as {seen[key]!r}; give it once"
                continue
            seen[key] = name
            try:
                fields.append({"id": field.id, "value": self._api_value(name, field, value)})
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            names = ", ".join(errors)
            raise ValidationError(f"Invalid property field(s): {names}", field_errors=errors)
        return fields

    def written(self, answer: Mapping[str, Any], fields: list[Any]) -> Record:
        """A write's answer, with the flat keys of what was written when the answer does
        not hold the record (a create answers only ``{"id", "created"}``)."""
        if isinstance(answer.get("field_values"), list):
            return self.flatten(answer)
        values = []
        for sent in fields:
            field = self.table.by_id(sent.get("id")) if isinstance(sent, dict) else None
            if field is None:
                continue
            value = sent.get("value")
            if field.type == "choice":
                option = field.option(value)
                value = option.title if option is not None else value
            values.append({"key": field.key, "value": value})
        view = self.flatten({"field_values": values})
        out = dict(answer)
        for name in self.aliases:
            if name in view and name not in out:
                out[name] = view[name]
        return out

    def matches(self, record: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
        """Whether a flattened record has each ``name = value`` of ``filters`` (flat names
        or field keys; case-insensitive, numbers by value)."""
        values: dict[Any, Any] | None = None
        for name, wanted in filters.items():
            if name in record:
                value = record[name]
            else:
                if values is None:
                    raw = record.get("field_values") or []
                    values = {v.get("key"): v.get("value") for v in raw if isinstance(v, dict)}
                value = values.get(name)
            if not _same(value, wanted):
                return False
        return True

    def filters_of(self, params: Mapping[str, Any] | None) -> tuple[Record, Record]:
        """``params`` split into what goes to the server and the filters on fields, which
        the client applies (the live API has no known field filter)."""
        server: Record = {}
        local: Record = {}
        for name, value in (params or {}).items():
            if name in self.aliases or name in self.table:
                local[name] = value
            else:
                server[name] = value
        return server, local

    def _unknown(self, name: str) -> str:
        flat = ", ".join(sorted(n for n, k in self.aliases.items() if k in self.table))
        return (
            f"is neither a flat name nor a field key of this account; flat names: {flat}; "
            "field keys: see client.property_fields.keys() (or field_aliases to add a name)"
        )

    def _api_value(self, name: str, field: FieldDef, value: Any) -> Any:
        if value is None:
            return None
        kind = field.type
        if kind == "choice":
            return self._option_id(name, field, value)
        if kind in ("number", "decimal"):
            return _check_number(value, integer=kind == "number")
        if kind == "date":
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, str):
                return value
            raise ValueError(f"must be a date (YYYY-MM-DD or a datetime.date); got {value!r}")
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise ValueError(f"must be text; got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be a finite number or text; got {value!r}")
        return value if isinstance(value, str) else number_text(value)

    def _option_id(self, name: str, field: FieldDef, value: Any) -> Any:
        if isinstance(value, str) and self.aliases.get(STATUS) == field.key:
            title = self.status_title(value)
            if title is not None:
                value = title
        option = field.option(value)
        if option is not None:
            return option.id
        valid = [o.title for o in field.options]
        if self.aliases.get(STATUS) == field.key:
            valid = [*self.statuses, *valid]
        raise ValueError(
            f"{value!r} is not an option of {field.key}; choose one of: {_listing(valid)}"
        )


def _same(value: Any, wanted: Any) -> bool:
    if value == wanted:
        return True
    if value is None or wanted is None:
        return False
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return normalize(str(value)) == normalize(str(wanted)) != ""


def _check_number(value: Any, *, integer: bool) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"must be a number; got {value!r}")
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            value = float(text) if text else None
        except ValueError:
            raise ValueError(f"must be a number; got {value!r}") from None
        if value is None:
            raise ValueError("must be a number; got an empty string")
    if isinstance(value, Decimal):
        value = float(value)
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"must be a finite number; got {value!r}")
    number: int | float = value
    if integer and number != int(number):
        raise ValueError(f"must be a whole number; got {value!r}")
    return int(number) if integer or number == int(number) else number


def _as_number(value: Any, *, integer: bool) -> Any:
    """The API's number (or a numeric title such as ``"3"``) as an int or float; any
    other text is returned as it is, never dropped."""
    try:
        number = float(str(value).replace(",", "")) if not isinstance(value, int | float) else value
    except ValueError:
        return value
    if isinstance(number, bool) or not math.isfinite(number):
        return value
    if number == int(number) and (integer or isinstance(value, str) or isinstance(number, int)):
        return int(number)
    return number
