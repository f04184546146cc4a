"""Sample records and sources shared by the sync tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
# A text field of the sandbox's default account (the live record's keys) that holds the
# source id when a test passes external_id_field.
ID_FIELD = "sisu_id_number"


def field_value(record: dict[str, Any], key: str) -> Any:
    """A field's value in a property record read from the API."""
    return next((v["value"] for v in record["field_values"] if v["key"] == key), None)


def listing(n: int, **changes: Any) -> dict[str, Any]:
    """A record shaped like the guide's external source."""
    row = {
        "id": f"ext_{n}",
        "street_address": f"{n} Main St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94102",
        "price": 500_000 + n,
        "bed_count": 3,
        "bath_count": 2,
        "sqft": 1800,
        "type": "single_family",
        "status": "for_sale",
    }
    row.update(changes)
    return row


class ListSource:
    """The guide's kind of source: ``get_modified_properties(since)`` over a list."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls: list[Any] = []

    def get_modified_properties(self, since: Any) -> list[dict[str, Any]]:
        self.calls.append(since)
        return [dict(r) for r in self.rows]


class MemoryExternal:
    """An external system for two-way tests: its own ids, its own clock, tombstones."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.modified: dict[str, datetime] = {}
        self.deleted: dict[str, datetime] = {}
        self._next = 1000
        self.clock = datetime(2030, 1, 1, tzinfo=UTC)

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    # what a user of the external system does
    def put(self, ext_id: str, **data: Any) -> None:
        self.rows.setdefault(ext_id, {"id": ext_id}).update(data)
        self.modified[ext_id] = self._tick()

    def remove(self, ext_id: str) -> None:
        del self.rows[ext_id]
        self.deleted[ext_id] = self._tick()

    # the interface the sync uses
    def get_changes(self, since: datetime | None) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = [
            {"id": k, "data": dict(v), "modified_at": self.modified[k].isoformat()}
            for k, v in self.rows.items()
            if since is None or self.modified[k] > since
        ]
        changes += [
            {"id": k, "data": None, "deleted": True, "modified_at": t.isoformat()}
            for k, t in self.deleted.items()
            if since is None or t > since
        ]
        return changes

    def update_property(self, ext_id: str, data: dict[str, Any]) -> dict[str, Any]:
        if ext_id not in self.rows:
            raise KeyError(ext_id)
        self.put(ext_id, **data)
        return {"id": ext_id, **self.rows[ext_id]}

    def create_property(self, data: dict[str, Any]) -> dict[str, Any]:
        self._next += 1
        ext_id = f"crm-{self._next}"  # the external system picks its own ids
        self.put(ext_id, **{**data, "id": ext_id})
        return {"id": ext_id, **self.rows[ext_id]}

    def delete_property(self, ext_id: str) -> None:
        self.rows.pop(ext_id, None)
        self.modified.pop(ext_id, None)
