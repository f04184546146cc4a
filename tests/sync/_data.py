"""Sample records and sources shared by the sync tests."""

from __future__ import annotations

from typing import Any

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


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
