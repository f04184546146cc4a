"""Deterministic sample properties for ``seed=N``."""

from __future__ import annotations

import random
from typing import Any

from .._model.schema import PROPERTY_STATUSES

_STREETS = ("Oak St", "Maple Ave", "Cedar Ln", "Pine Rd", "Elm Dr", "Birch Way", "Lake Blvd")
_CITIES = (
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Tampa", "FL", "336"),
    ("Boise", "ID", "837"),
    ("Raleigh", "NC", "276"),
)
_TYPES = ("single_family", "condo", "townhouse", "multi_family")


def sample_properties(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` plausible properties; the same arguments give the same list."""
    rng = random.Random(seed)
    out = []
    for n in range(1, count + 1):
        city, state, zip_prefix = rng.choice(_CITIES)
        out.append(
            {
                "address": f"{rng.randint(100, 9999)} {rng.choice(_STREETS)}",
                "city": city,
                "state": state,
                "zip_code": f"{zip_prefix}{rng.randint(0, 99):02d}",
                "listing_price": rng.randrange(150_000, 1_500_000, 5_000),
                "bedrooms": rng.randint(1, 6),
                "bathrooms": rng.randint(2, 8) / 2,
                "square_feet": rng.randrange(700, 5000, 10),
                "property_type": rng.choice(_TYPES),
                "status": rng.choice(PROPERTY_STATUSES[:4]),
                "external_id": f"SAMPLE-{n:05d}",
            }
        )
    return out
