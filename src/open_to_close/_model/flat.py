"""The guide's flat view of a property: names, statuses, and how they meet the account.

Users write ``{"address": ..., "status": "active", "listing_price": 450000}``; the live
API stores field values under account-specific keys and option titles. This module is
the table between the two (the contract's "Default aliases" and "Default status map");
:mod:`open_to_close.properties_view` applies it, and the sandbox and sync read it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

FlatType = Literal["str", "int", "number", "status", "date", "any"]


@dataclass(frozen=True, slots=True)
class Alias:
    """A flat name, the field key it stands for, and the type its flat value has."""

    name: str
    key: str
    type: FlatType = "str"


DEFAULT_ALIASES: tuple[Alias, ...] = (
    Alias("address", "property_address"),
    Alias("city", "property_city"),
    Alias("state", "property_state"),
    Alias("zip_code", "property_zip"),
    Alias("title", "contract_title"),
    Alias("status", "contract_status", "status"),
    Alias("client_type", "contract_client_type"),
    Alias("listing_price", "listing_price", "number"),
    Alias("purchase_amount", "purchase_amount", "number"),
    Alias("property_type", "property_type"),
    Alias("bedrooms", "bedrooms", "int"),
    Alias("bathrooms", "bath", "number"),
    Alias("square_feet", "square_footage", "int"),
    Alias("closing_date", "closing_date", "date"),
)
ALIAS_TYPES: dict[str, FlatType] = {a.name: a.type for a in DEFAULT_ALIASES}
DEFAULT_FIELD_ALIASES: dict[str, str] = {a.name: a.key for a in DEFAULT_ALIASES}

# Keys of the API's property record that are not fields: a record read and sent back
# (read-modify-write) carries them, and a write skips them.
PROPERTY_RECORD_KEYS: frozenset[str] = frozenset(
    {
        "id",
        "created",
        "created_at",
        "updated_at",
        "timezone",
        "field_values",
        "team_id",
        "team_name",
        "team_user_id",
        "team_user_name",
        "agent_id",
        "agent_name",
        "brokerage",
    }
)

TITLE = "title"
ADDRESS = "address"
STATUS = "status"

# Flat status -> words that find the account's option (matched on whole words, any case
# and punctuation). Order matters on reads: the first flat status naming an option wins,
# so "Withdrawn" reads back as ``withdrawn``, not ``inactive``.
DEFAULT_STATUS_MAP: dict[str, str] = {
    "active": "active",
    "under_contract": "Under Contract",
    "sold": "Closed",
    "withdrawn": "Withdrawn",
    "inactive": "Withdrawn",
    "pre_mls": "Pre-MLS",
    "terminated": "Contract Terminated",
}
FLAT_STATUSES: tuple[str, ...] = tuple(DEFAULT_STATUS_MAP)

TASK_STATUSES: tuple[str, ...] = ("pending", "in_progress", "completed", "cancelled", "on_hold")

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> tuple[str, ...]:
    """``"Listing - Pre-MLS"`` -> ``("listing", "pre", "mls")``: case and punctuation gone."""
    return tuple(_WORD.findall(text.lower()))


def normalize(text: str) -> str:
    """The comparison form of a title or name: ``"Listing-Active"`` -> ``"listingactive"``."""
    return "".join(words(text))


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(tuple(haystack[i : i + n]) == tuple(needle) for i in range(len(haystack)))


def find_option(wanted: str, titles: Iterable[str]) -> str | None:
    """The title ``wanted`` names: equal ignoring case and punctuation, else the first title
    holding its words in order (``"active"`` finds ``"Listing-Active"``, not ``"Inactive"``)."""
    titles = list(titles)
    target = normalize(wanted)
    for title in titles:
        if normalize(title) == target:
            return title
    needle = words(wanted)
    for title in titles:
        if _contains(words(title), needle):
            return title
    return None


def resolve_status_map(
    titles: Sequence[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Flat status -> the account's option title, for every flat status that finds one."""
    merged = {**DEFAULT_STATUS_MAP, **(overrides or {})}
    out: dict[str, str] = {}
    for flat, wanted in merged.items():
        title = find_option(wanted, titles)
        if title is not None:
            out[flat] = title
    return out
