"""Deterministic sample properties for ``seed=N``, as the account's field values."""

from __future__ import annotations

import random
from typing import Any

from .._model.codec import FieldTable
from .._model.flat import DEFAULT_FIELD_ALIASES as KEYS

_STREETS = ("Oak St", "Maple Ave", "Cedar Ln", "Pine Rd", "Elm Dr", "Birch Way", "Lake Blvd")
_CITIES = (
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Tampa", "FL", "336"),
    ("Boise", "ID", "837"),
    ("Raleigh", "NC", "276"),
)


def _titles(table: FieldTable, key: str) -> list[str]:
    field = table.get(key)
    return [o.title for o in field.options] if field is not None else []


def sample_properties(count: int, table: FieldTable, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` plausible properties as {field key: value}; the same arguments give the
    same list. Only keys the account has are set; a choice's value is an option title."""
    rng = random.Random(seed)
    statuses = _titles(table, KEYS["status"])
    types = _titles(table, KEYS["property_type"])
    bedrooms = [t for t in _titles(table, KEYS["bedrooms"]) if t not in ("0", "N/A")]
    baths = _titles(table, KEYS["bathrooms"])
    client_types = _titles(table, KEYS["client_type"])
    out = []
    for _ in range(count):
        city, state, zip_prefix = rng.choice(_CITIES)
        address = f"{rng.randint(100, 9999)} {rng.choice(_STREETS)}"
        values: dict[str, Any] = {
            KEYS["title"]: address,
            KEYS["address"]: address,
            KEYS["city"]: city,
            KEYS["state"]: state,
            KEYS["zip_code"]: f"{zip_prefix}{rng.randint(0, 99):02d}",
            KEYS["listing_price"]: rng.randrange(150_000, 1_500_000, 5_000),
            KEYS["square_feet"]: str(rng.randrange(700, 5000, 10)),
        }
        for name, titles in (
            ("status", statuses[:6]),
            ("property_type", types),
            ("bedrooms", bedrooms[:6]),
            ("bathrooms", baths[:8]),
            ("client_type", client_types),
        ):
            if titles:
                values[KEYS[name]] = rng.choice(titles)
        out.append({key: value for key, value in values.items() if key in table})
    return out
