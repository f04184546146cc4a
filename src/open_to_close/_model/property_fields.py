"""The property fields of a live Open To Close account.

``data/live_property_fields.json`` holds the keys, labels and types of the 497 field
values of one live property record (LIVE_API.md, source H). Field and option *ids* belong
to each account and are never written here: the client reads them from
``GET /propertyFields`` and the sandbox draws its own per seed.

Choice fields carry options; the live record shows only the chosen titles, so the
options below are the sandbox's default account: the status titles of LIVE_API.md (P2),
Buyer / Seller / Dual, and plausible lists for the other choices the guide's flat names
reach. Every other choice field offers :data:`GENERIC_OPTIONS`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

FieldType = Literal["text", "textarea", "choice", "date", "number", "decimal"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "textarea", "choice", "date", "number", "decimal")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    label: str
    type: FieldType


# The account's own status titles as recorded on the live API (spelling kept: "Listing-Active").
STATUS_OPTIONS: tuple[str, ...] = (
    "Listing - Pre-MLS",
    "Listing-Active",
    "Listing - Under Contract",
    "Listing - Withdrawn-Cancelled",
    "Under Contract",
    "Closed",
    "Contract Terminated",
)

GENERIC_OPTIONS: tuple[str, ...] = ("Yes", "No", "N/A")

CHOICE_OPTIONS: dict[str, tuple[str, ...]] = {
    "contract_status": STATUS_OPTIONS,
    "contract_client_type": ("Buyer", "Seller", "Dual"),
    "property_type": (
        "Single Family",
        "Condo",
        "Townhouse",
        "Multi-Family",
        "Land",
        "Mobile Home",
        "Commercial",
    ),
    "bedrooms": tuple(str(n) for n in range(0, 11)),
    "bath": tuple(f"{n / 2:g}" for n in range(2, 21)),
    "mls_status": ("Coming Soon", "Active", "Pending", "Sold", "Withdrawn", "Expired"),
}


@cache
def live_fields() -> tuple[FieldSpec, ...]:
    """The 497 fields of the live record, in the live record's order."""
    text = resources.files("open_to_close").joinpath("data/live_property_fields.json").read_text()
    data = json.loads(text)
    return tuple(
        FieldSpec(str(f["key"]), str(f["label"]), f["type"])
        for f in data["fields"]
        if f["type"] in FIELD_TYPES
    )


def options_for(key: str) -> tuple[str, ...]:
    """The option titles of a choice field in the sandbox's default account."""
    return CHOICE_OPTIONS.get(key, GENERIC_OPTIONS)
