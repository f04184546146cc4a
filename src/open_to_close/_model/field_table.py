"""An account's property fields, parsed from its ``GET /propertyFields`` answer.

The answer is a list of groups of sections of fields (``[{"group": {"sections":
[{"section": {"fields": [...]}}]}}]``, as published clients walk it); each field has an
``id``, a ``key``, a ``title``, a ``type`` and, for a choice, ``options`` with ids and
titles. Ids belong to the account: they are only ever read from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..exceptions import ValidationError
from .flat import normalize

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Option:
    id: Any
    title: str


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One property field of an account (``options`` only for a choice)."""

    id: Any
    key: str
    title: str
    type: str
    options: tuple[Option, ...] = ()

    def option(self, wanted: Any) -> Option | None:
        """The option ``wanted`` names: its id, or its title in any case and punctuation."""
        if isinstance(wanted, bool):
            return None
        if isinstance(wanted, int | float | Decimal):
            text = number_text(wanted)
            for option in self.options:
                if option.id == wanted or option.title.strip() == text:
                    return option
            return None
        if not isinstance(wanted, str):
            return None
        text = wanted.strip().lower()
        for option in self.options:
            if option.title.strip().lower() == text:
                return option
        target = normalize(wanted)
        if target:
            for option in self.options:
                if normalize(option.title) == target:
                    return option
        return None

    def describe(self) -> Record:
        """The field as ``client.property_fields.get(key)`` answers it."""
        out: Record = {"id": self.id, "key": self.key, "title": self.title, "type": self.type}
        if self.type == "choice":
            out["options"] = [{"id": o.id, "title": o.title} for o in self.options]
        return out


class FieldTable:
    """An account's property fields by key, from its ``GET /propertyFields`` answer."""

    def __init__(self, fields: Iterable[FieldDef]) -> None:
        self._by_key: dict[str, FieldDef] = {}
        self._by_id: dict[Any, FieldDef] = {}
        for field in fields:
            self._by_key.setdefault(field.key, field)
            self._by_id.setdefault(field.id, field)

    @classmethod
    def parse(cls, answer: Any) -> FieldTable:
        """Walk ``[{"group": {"sections": [{"section": {"fields": [...]}}]}}]``.

        A flat list of field objects is accepted too. Entries without a key are skipped;
        an answer with no field at all is an error (a wrong URL or an empty account).
        """
        fields = [_field(raw) for raw in _walk(answer)]
        table = cls(f for f in fields if f is not None)
        if not table._by_key:
            raise ValidationError(
                "GET /propertyFields answered no property field: check the base URL and "
                "that the account has property fields",
                response_data=answer if isinstance(answer, list | dict) else None,
            )
        return table

    def get(self, key: str) -> FieldDef | None:
        return self._by_key.get(key)

    def by_id(self, field_id: Any) -> FieldDef | None:
        return self._by_id.get(field_id)

    def keys(self) -> list[str]:
        return list(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[FieldDef]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)


def _walk(answer: Any) -> Iterator[Any]:
    groups = answer if isinstance(answer, list) else [answer]
    for entry in groups:
        if not isinstance(entry, dict):
            continue
        group = entry.get("group")
        if not isinstance(group, dict):
            if "key" in entry:
                yield entry  # a flat list of fields
            continue
        for wrapped in group.get("sections") or ():
            section = wrapped.get("section") if isinstance(wrapped, dict) else None
            if isinstance(section, dict):
                yield from section.get("fields") or ()


def _field(raw: Any) -> FieldDef | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not raw["key"]:
        return None
    options = tuple(
        Option(o.get("id"), str(o.get("title") or ""))
        for o in raw.get("options") or ()
        if isinstance(o, dict)
    )
    return FieldDef(
        raw.get("id"),
        raw["key"],
        str(raw.get("title") or raw.get("label") or raw["key"]),
        str(raw.get("type") or "text"),
        options,
    )


def number_text(value: float | Decimal) -> str:
    """``3`` -> ``"3"``, ``2.5`` -> ``"2.5"``, ``3.0`` -> ``"3"``: how an option spells it."""
    return f"{value:g}" if isinstance(value, float) else str(value)
