"""Field mapping between an external system's records and Open To Close properties.

The defaults are the guide's transform and status map. Unlike the guide's code, a value
that can't be converted is an error for that row (never a silent default): an unknown
status does not become ``active``, a price of ``"call us"`` does not reach the API, and a
missing address is reported instead of raising ``KeyError`` halfway through a run.

A mapping file (JSON or TOML) overrides the defaults::

    id_field = "listing_id"         # the source field holding the record's id
    external_id_field = "sisu_id_number"  # optional: the Open To Close field key that
                                    # keeps that id (else links live in the sync state only)
    modified_field = "updated"      # optional: the source's change time, for cursors
    default_status = "draft"        # optional: used when the status is blank

    [fields]                        # Open To Close field = source field, or a table
    address = { source = "street", required = true }
    listing_price = { source = "price", type = "number" }
    bedrooms = { source = "beds", type = "int" }
    property_type = { source = "kind", default = "single_family" }

    [status_map]                    # source status = Open To Close status
    for_sale = "active"

``[fields]``, when given, is the whole field list; ``[status_map]`` the whole status map.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from .._model.flat import FLAT_STATUSES
from ..exceptions import ConfigurationError
from ._tables import MAX_EXTERNAL_ID

__all__ = [
    "DEFAULT_STATUS_MAP",
    "OTC_STATUSES",
    "FieldMapping",
    "FieldRule",
    "RowError",
    "load_mapping",
]

ValueType = Literal["str", "int", "number"]
_TYPES: tuple[str, ...] = ("str", "int", "number")

OTC_STATUSES: tuple[str, ...] = FLAT_STATUSES

DEFAULT_STATUS_MAP: dict[str, str] = {
    "for_sale": "active",
    "pending": "under_contract",
    "sold": "sold",
    "off_market": "inactive",
}


class RowError(ValueError):
    """A source record that can't be mapped; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One Open To Close field (``target``) filled from one source field (``source``)."""

    target: str
    source: str
    type: ValueType = "str"
    required: bool = False
    default: Any = None


def _default_rules() -> tuple[FieldRule, ...]:
    return (
        FieldRule("address", "street_address", required=True),
        FieldRule("city", "city"),
        FieldRule("state", "state"),
        FieldRule("zip_code", "postal_code"),
        FieldRule("listing_price", "price", "number"),
        FieldRule("bedrooms", "bed_count", "int"),
        FieldRule("bathrooms", "bath_count", "number"),
        FieldRule("square_feet", "sqft", "int"),
        FieldRule("property_type", "type", default="single_family"),
        FieldRule("status", "status"),
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, rule: FieldRule) -> int | float:
    if isinstance(value, bool):
        raise RowError(f"unparseable {rule.source} {value!r}: expected a number")
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace(",", "").replace("_", "").lstrip("$").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise RowError(f"unparseable {rule.source} {value!r}: expected a number") from None
    if not number.is_finite():
        raise RowError(f"unparseable {rule.source} {value!r}: expected a finite number")
    if number == number.to_integral_value():
        return int(number)
    if rule.type == "int":
        raise RowError(f"unparseable {rule.source} {value!r}: expected a whole number")
    return float(number)


@dataclass(frozen=True)
class FieldMapping:
    """How a source record becomes an Open To Close property, and back."""

    fields: tuple[FieldRule, ...] = field(default_factory=_default_rules)
    status_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS_MAP))
    id_field: str = "id"
    modified_field: str | None = None
    default_status: str | None = None
    external_id_field: str | None = None

    def __post_init__(self) -> None:
        targets = [rule.target for rule in self.fields]
        if len(set(targets)) != len(targets):
            raise ConfigurationError("the mapping names an Open To Close field twice")
        if self.external_id_field is not None and self.external_id_field in targets:
            raise ConfigurationError(
                f"external_id_field {self.external_id_field!r} is also a mapped field; "
                "the record's id is written there, so map that field to nothing else"
            )
        if "address" not in targets:
            raise ConfigurationError(
                "the mapping must fill 'address' (Open To Close requires it on create)"
            )
        for source, status in self.status_map.items():
            if status not in OTC_STATUSES:
                raise ConfigurationError(
                    f"status_map: {source!r} maps to {status!r}, which is not an Open To Close "
                    f"status (use one of: {', '.join(OTC_STATUSES)})"
                )
        if self.default_status is not None and self.default_status not in OTC_STATUSES:
            raise ConfigurationError(
                f"default_status {self.default_status!r} is not an Open To Close status"
            )

    @property
    def targets(self) -> tuple[str, ...]:
        """The Open To Close fields this mapping fills (the external id field aside)."""
        return tuple(rule.target for rule in self.fields)

    def record_id(self, record: Mapping[str, Any]) -> str:
        """The record's id in the source, as text; :class:`RowError` if it has none."""
        value = record.get(self.id_field)
        if _blank(value) or isinstance(value, bool):
            raise RowError(f"missing id (field {self.id_field!r})")
        text = str(value).strip()
        if len(text) > MAX_EXTERNAL_ID:
            # Longer than the state's column: PostgreSQL would refuse the whole batch.
            raise RowError(
                f"id is {len(text)} characters (field {self.id_field!r}); "
                f"at most {MAX_EXTERNAL_ID} fit the sync state"
            )
        return text

    def to_otc(self, record: Mapping[str, Any], *, defaults: bool = True) -> dict[str, Any]:
        """The Open To Close fields for ``record``; blank values are ``None``.

        Raises :class:`RowError` for a record that can't be sent (missing id or required
        field, bad number, unknown status). ``defaults=False`` leaves blanks blank (two-way
        sync fills no value a side does not hold).
        """
        self.record_id(record)
        out: dict[str, Any] = {}
        for rule in self.fields:
            out[rule.target] = self._convert(rule, record.get(rule.source), defaults)
        return out

    def _convert(self, rule: FieldRule, value: Any, defaults: bool = True) -> Any:
        if _blank(value):
            value = None
            if defaults:
                value = self.default_status if rule.target == "status" else rule.default
            if _blank(value):
                if rule.required:
                    raise RowError(f"missing required field {rule.source!r}")
                return None
        if rule.type != "str":
            return _number(value, rule)
        text = str(value).strip()
        if rule.target == "status":
            return self._status(text, rule)
        return text

    def _status(self, value: str, rule: FieldRule) -> str:
        mapped = self.status_map.get(value)
        if mapped is not None:
            return mapped
        if value in OTC_STATUSES:
            return value
        known = ", ".join(sorted(self.status_map)) or "none"
        raise RowError(
            f"unknown {rule.source} {value!r}: add it to the mapping's status_map "
            f"(mapped now: {known})"
        )

    def to_external(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Open To Close field values in the source's field names (the way back)."""
        reverse_status: dict[str, str] = {}
        for source, status in self.status_map.items():
            reverse_status.setdefault(status, source)
        out: dict[str, Any] = {}
        for rule in self.fields:
            if rule.target not in values:
                continue
            value = values[rule.target]
            if rule.target == "status" and isinstance(value, str):
                value = reverse_status.get(value, value)
            out[rule.source] = value
        return out

    def snapshot(self, otc_record: Mapping[str, Any]) -> dict[str, Any]:
        """The mapped fields of a flat Open To Close record, as given (two-way sync reads
        them through :class:`~open_to_close.sync.values.FieldValues`)."""
        return {target: otc_record.get(target) for target in self.targets}


# -- mapping files -------------------------------------------------------------------------

_TOP_KEYS = {
    "id_field",
    "modified_field",
    "default_status",
    "external_id_field",
    "fields",
    "status_map",
}
_RULE_KEYS = {"source", "type", "required", "default"}


def _rule(target: str, spec: Any, where: str) -> FieldRule:
    if isinstance(spec, str):
        return FieldRule(target, spec)
    if not isinstance(spec, dict):
        raise ConfigurationError(
            f"{where}: fields.{target} must be a source field name or a table with 'source'"
        )
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise ConfigurationError(
            f"{where}: fields.{target} has unknown keys {sorted(unknown)}; "
            f"allowed: {sorted(_RULE_KEYS)}"
        )
    source = spec.get("source")
    if not isinstance(source, str) or not source:
        raise ConfigurationError(f"{where}: fields.{target} needs 'source' (a source field name)")
    type_ = spec.get("type", "str")
    if type_ not in _TYPES:
        raise ConfigurationError(
            f"{where}: fields.{target}.type is {type_!r}; use one of {', '.join(_TYPES)}"
        )
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise ConfigurationError(f"{where}: fields.{target}.required must be true or false")
    return FieldRule(target, source, type_, required, spec.get("default"))


def _optional_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(f"{where}: {key} must be a non-empty string")
    return value


def mapping_from_dict(data: Mapping[str, Any], where: str = "mapping") -> FieldMapping:
    """A :class:`FieldMapping` from parsed JSON/TOML; the error names what to fix."""
    data = dict(data)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
        )
    mapping = FieldMapping()
    if "fields" in data:
        fields = data["fields"]
        if not isinstance(fields, dict) or not fields:
            raise ConfigurationError(f"{where}: 'fields' must be a non-empty table")
        mapping = replace(mapping, fields=tuple(_rule(t, s, where) for t, s in fields.items()))
    if "status_map" in data:
        status_map = data["status_map"]
        if not isinstance(status_map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in status_map.items()
        ):
            raise ConfigurationError(f"{where}: 'status_map' must map strings to strings")
        mapping = replace(mapping, status_map=dict(status_map))
    id_field = _optional_str(data, "id_field", where)
    return replace(
        mapping,
        id_field=id_field or "id",
        modified_field=_optional_str(data, "modified_field", where),
        default_status=_optional_str(data, "default_status", where),
        external_id_field=_optional_str(data, "external_id_field", where),
    )


def load_mapping(path: str | Path) -> FieldMapping:
    """Read a mapping file (``.json`` or ``.toml``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"can't read mapping file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise ConfigurationError(f"mapping file {path} must end in .json or .toml")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"mapping file {path} is not valid: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"mapping file {path} must hold an object/table at the top")
    return mapping_from_dict(data, str(path))
