"""The sandbox's account: property fields with ids drawn per sandbox, teams, time zones.

The live API's field and option ids belong to each account (LIVE_API.md): code that
hard-codes one account's ids breaks on every other. So the sandbox draws its own from
its ``seed`` (the same seed, the same ids; another seed, other ids) and keeps the drawn
``GET /propertyFields`` answer in its database, so a file database keeps its ids across
restarts. Keys, labels and types are the live account's 497 fields
(:func:`~open_to_close._model.property_fields.live_fields`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._model.codec import FieldDef, FieldTable
from .._model.property_fields import live_fields, options_for
from .timestamps import plain_seconds

JSON = dict[str, Any]

# The live answer groups fields into groups of sections; these titles are the sandbox's.
_GROUPS = ("Transaction", "Property", "Dates & Deadlines", "Parties", "Commission", "Other")
_SECTION_SIZE = 25
_ID_RANGE = (100_000, 10_000_000)  # drawn ids have 6 or 7 digits, like the live ones

TIME_ZONES: tuple[JSON, ...] = (
    {"id": 1, "country_code": "US", "country_zone": "America/New_York", "zone_abbreviation": "EST"},
    {"id": 2, "country_code": "US", "country_zone": "America/Chicago", "zone_abbreviation": "CST"},
    {"id": 3, "country_code": "US", "country_zone": "America/Denver", "zone_abbreviation": "MST"},
    {"id": 4, "country_code": "US", "country_zone": "America/Phoenix", "zone_abbreviation": "MST"},
    {
        "id": 5,
        "country_code": "US",
        "country_zone": "America/Los_Angeles",
        "zone_abbreviation": "PST",
    },
    {
        "id": 6,
        "country_code": "US",
        "country_zone": "America/Anchorage",
        "zone_abbreviation": "AKST",
    },
    {"id": 7, "country_code": "US", "country_zone": "Pacific/Honolulu", "zone_abbreviation": "HST"},
)
TIME_ZONE_NAMES: dict[int, str] = {tz["id"]: tz["country_zone"] for tz in TIME_ZONES}

CONTACT_ROLES: tuple[JSON, ...] = tuple(
    {"id": n, "title": title}
    for n, title in enumerate(
        (
            "Buyer",
            "Seller",
            "Buyer Agent",
            "Listing Agent",
            "Lender",
            "Title / Escrow",
            "Inspector",
            "Appraiser",
            "Attorney",
            "Transaction Coordinator",
        ),
        start=1,
    )
)

BROKERAGE = "Sandbox Realty"
_MEMBERS = (("Alex Morgan", "alex"), ("Jordan Lee", "jordan"), ("Sam Rivera", "sam"))


def draw_property_fields(seed: int) -> list[JSON]:
    """The ``GET /propertyFields`` answer of the account drawn from ``seed``."""
    rng = random.Random(seed)
    specs = live_fields()
    options = {s.key: options_for(s.key) for s in specs if s.type == "choice"}
    sections = -(-len(specs) // _SECTION_SIZE)
    wanted = len(specs) + sum(len(o) for o in options.values()) + len(_GROUPS) + sections
    ids = iter(rng.sample(range(*_ID_RANGE), wanted))
    fields: list[JSON] = []
    for spec in specs:
        drawn = [{"id": next(ids), "title": t} for t in options.get(spec.key, ())]
        fields.append(
            {
                "id": next(ids),
                "key": spec.key,
                "title": spec.label,
                "type": spec.type,
                "options": drawn,
            }
        )
    per_group = -(-sections // len(_GROUPS))
    groups: list[JSON] = []
    for g, title in enumerate(_GROUPS):
        chunk = [
            {
                "section": {
                    "id": next(ids),
                    "title": f"{title} {n + 1}",
                    "fields": fields[s * _SECTION_SIZE : (s + 1) * _SECTION_SIZE],
                }
            }
            for n, s in enumerate(range(g * per_group, min((g + 1) * per_group, sections)))
        ]
        groups.append({"group": {"id": next(ids), "title": title, "sections": chunk}})
    return groups


def default_teams(seed: int) -> list[JSON]:
    """The team (with members) a sandbox has from the start and after ``reset()``."""
    rng = random.Random(f"teams:{seed}")
    ids = rng.sample(range(*_ID_RANGE), 2 * len(_MEMBERS))
    members = [
        {
            "id": ids[2 * n],
            "user_id": ids[2 * n + 1],
            "name": name,
            "email": f"{login}@sandbox-realty.example",
            "role": "Agent" if n else "Team Lead",
        }
        for n, (name, login) in enumerate(_MEMBERS)
    ]
    return [
        {
            "name": "Sandbox Team",
            "description": "The sandbox account's default team.",
            "brokerage": BROKERAGE,
            "team_members": members,
        }
    ]


@dataclass(frozen=True, slots=True)
class Slot:
    """A field of the account and where its value sits in a record's ``field_values``."""

    position: int
    field: FieldDef


class Account:
    """One sandbox's property fields (and their answers, as bytes ready to send)."""

    def __init__(self, answer: list[JSON]) -> None:
        self.answer = answer
        self.table = FieldTable.parse(answer)
        self.fields: tuple[FieldDef, ...] = tuple(self.table)
        self.by_id: dict[Any, Slot] = {f.id: Slot(n, f) for n, f in enumerate(self.fields)}
        self.by_key: dict[str, Slot] = {f.key: Slot(n, f) for n, f in enumerate(self.fields)}
        self.fields_body = json.dumps(answer).encode()
        self.groups_body = json.dumps(
            [{"id": g["group"]["id"], "title": g["group"]["title"]} for g in answer]
        ).encode()
        self.sections_body = json.dumps(
            [
                {
                    "id": s["section"]["id"],
                    "title": s["section"]["title"],
                    "group_id": g["group"]["id"],
                }
                for g in answer
                for s in g["group"]["sections"]
            ]
        ).encode()

    @classmethod
    def draw(cls, seed: int) -> Account:
        return cls(draw_property_fields(seed))

    def value_id(self, property_id: int, position: int) -> int:
        """A field value's own id: one per property and field, never a field's id."""
        return 10_000_000 + property_id * 1000 + position

    def empty_values(self, property_id: int) -> list[JSON]:
        """``field_values`` of a new record: every field of the account, unset."""
        out: list[JSON] = []
        for n, field in enumerate(self.fields):
            value: JSON = {
                "id": self.value_id(property_id, n),
                "value": None,
                "type": field.type,
                "label": field.title,
                "key": field.key,
            }
            if field.type == "date":
                value["start_time"] = None
                value["end_time"] = None
            out.append(value)
        return out


def property_builder(
    account: Account, values: dict[int, Any], zone: str, owner: JSON
) -> Callable[[int, str], JSON]:
    """Makes a property record: every field of ``account``, ``values`` (by position) set."""

    def build(record_id: int, now: str) -> JSON:
        field_values = account.empty_values(record_id)
        for position, value in values.items():
            field_values[position]["value"] = value
        return {
            "id": record_id,
            "created": plain_seconds(now),
            "timezone": zone,
            "field_values": field_values,
            **owner,
        }

    return build


def owner_fields(team: JSON, member: JSON) -> JSON:
    """What a team member puts on the property records made in their name."""
    return {
        "team_id": team.get("id"),
        "team_name": team.get("name"),
        "team_user_id": member.get("user_id"),
        "team_user_name": member.get("name"),
        "agent_id": member.get("user_id"),
        "agent_name": member.get("name"),
        "brokerage": team.get("brokerage", BROKERAGE),
    }
