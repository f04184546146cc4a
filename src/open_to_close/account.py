"""What an account gives the client: its team members, time zones, property fields.

:func:`inspect_account` is ``otc account``'s report: a few reads that tell a new user
whether the key works and what creates will use; :func:`mapping_template` turns it into
a starter mapping file for ``otc sync`` that names the account's own field keys and
status options.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ._model.flat import DEFAULT_STATUS_MAP
from .exceptions import OpenToCloseAPIError
from .property_fields import TEAMS_PATH, TEAMS_TEMPLATE
from .resources._base import as_list

if TYPE_CHECKING:
    from .client import OpenToCloseAPI

__all__ = ["AccountReport", "inspect_account", "mapping_template"]

TIME_ZONES_PATH = "/timeZones/"
TIME_ZONES_TEMPLATE = "/timeZones"


@dataclass(slots=True)
class AccountReport:
    base_url: str
    team_member_id: int | None
    team_member_name: str | None
    team_name: str | None
    member_from_setting: bool
    time_zone_id: int
    time_zone: str | None
    rate_limit_header: int | None
    statuses: dict[str, str]
    fields: list[dict[str, Any]] = field(default_factory=list)

    @property
    def member_text(self) -> str:
        if self.team_member_id is None:
            return "none found: set team_member_id"
        who = f"{self.team_member_name or 'member'} (id {self.team_member_id})"
        team = f" of team {self.team_name}" if self.team_name else ""
        source = (
            "the team_member_id setting"
            if self.member_from_setting
            else "the first team's first member (team_member_id picks another)"
        )
        return f"{who}{team}, from {source}"

    @property
    def time_zone_text(self) -> str:
        return f"id {self.time_zone_id}" + (f" ({self.time_zone})" if self.time_zone else "")

    @property
    def rate_limit_text(self) -> str:
        if self.rate_limit_header is None:
            return "not sent (set rate_limit, e.g. '1/s'; 429s slow the client down)"
        return f"sent: {self.rate_limit_header} per window (the client follows them)"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _member(teams: list[dict[str, Any]], wanted: int | None) -> tuple[Any, Any, Any]:
    for team in teams:
        for member in team.get("team_members") or ():
            if not isinstance(member, dict):
                continue
            if wanted is None or member.get("id") == wanted:
                name = member.get("name") or " ".join(
                    str(member.get(k)) for k in ("first_name", "last_name") if member.get(k)
                )
                return member.get("id"), name or None, team.get("name") or team.get("title")
    return wanted, None, None


def _time_zone(client: OpenToCloseAPI, zone_id: int) -> str | None:
    transport = client._transport
    try:
        answer = transport.request("GET", TIME_ZONES_TEMPLATE, TIME_ZONES_PATH)
    except OpenToCloseAPIError:
        return None  # the list is optional: creates send the id either way
    for zone in as_list(answer, "GET", TIME_ZONES_PATH):
        if isinstance(zone, dict) and zone.get("id") == zone_id:
            parts = (zone.get("country_zone"), zone.get("zone_abbreviation"))
            return " ".join(str(p) for p in parts if p) or None
    return None


def inspect_account(client: OpenToCloseAPI) -> AccountReport:
    """Read the account's fields, teams and time zones (four requests at most)."""
    codec = client.property_fields.codec  # also proves the key works
    settings = client.settings
    teams = as_list(client._transport.request("GET", TEAMS_TEMPLATE, TEAMS_PATH), "GET", TEAMS_PATH)
    member_id, member_name, team_name = _member(teams, settings.team_member_id)
    flat_of = {key: name for name, key in codec.aliases.items()}
    fields = []
    for spec in codec.table:
        entry = spec.describe()
        entry["flat"] = flat_of.get(spec.key, "")
        fields.append(entry)
    return AccountReport(
        base_url=settings.base_url,
        team_member_id=member_id,
        team_member_name=member_name,
        team_name=team_name,
        member_from_setting=settings.team_member_id is not None,
        time_zone_id=settings.time_zone_id,
        time_zone=_time_zone(client, settings.time_zone_id),
        rate_limit_header=client._transport.pacer.header_limit,
        statuses=dict(codec.statuses),
        fields=fields,
    )


# Source columns the guide's listing feed uses, for the flat names a mapping starts with.
_SOURCES = {
    "address": "street_address",
    "city": "city",
    "state": "state",
    "zip_code": "zip_code",
    "listing_price": "price",
    "bedrooms": "beds",
    "bathrooms": "baths",
    "square_feet": "sqft",
    "property_type": "property_type",
    "status": "status",
}
_TYPES = {"listing_price": "number", "bathrooms": "number", "bedrooms": "int", "square_feet": "int"}


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_template(report: AccountReport) -> str:
    """A commented starter mapping file for ``otc sync`` (TOML)."""
    by_flat = {f["flat"]: f for f in report.fields if f["flat"]}
    lines = [
        f"# Mapping for `otc sync` (from `otc account --mapping-template`), {report.base_url}",
        "# Left of '=' an Open To Close field: a flat name (address, status, ...) or one of this",
        "# account's field keys (listed below); right of it, the column of your source.",
        "",
        'id_field = "listing_id"  # the source column holding each record\'s own id',
        '# external_id_field = ""  # a text field key of this account to keep that id in',
        "",
        "[fields]",
    ]
    for flat, source in _SOURCES.items():
        spec = by_flat.get(flat)
        if spec is None:
            lines.append(f"# {flat}: this account has no {flat} field")
            continue
        kind = _TYPES.get(flat)
        value = (
            _toml(source)
            if kind is None
            else f"{{ source = {_toml(source)}, type = {_toml(kind)} }}"
        )
        if flat == "address":
            value = f"{{ source = {_toml(source)}, required = true }}"
        lines.append(f"{flat} = {value}  # {spec['key']}: {spec['title']} ({spec['type']})")
    lines += ["", "# Other fields of this account, to map by key (uncomment what you sync):"]
    for spec in report.fields:
        if not spec["flat"] and spec["type"] in ("text", "number", "decimal", "choice"):
            lines.append(f'# {spec["key"]} = ""  # {spec["title"]} ({spec["type"]})')
    status = by_flat.get("status")
    lines += ["", "[status_map]  # your status = an Open To Close status"]
    if status is not None:
        titles = ", ".join(o["title"] for o in status.get("options", ()))
        lines.append(f"# this account's {status['key']} options: {titles}")
    known = [
        f"{flat} ({title})" for flat, title in report.statuses.items() if flat in DEFAULT_STATUS_MAP
    ]
    lines.append(f"# Open To Close statuses here: {', '.join(known)}; an option title works too")
    lines += [
        'for_sale = "active"',
        'pending = "under_contract"',
        'sold = "sold"',
        'off_market = "inactive"',
        "",
    ]
    return "\n".join(lines)
