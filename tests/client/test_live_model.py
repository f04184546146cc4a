"""The guide's flat interface on top of the live field model, against the sandbox's default
(live-like) mode over real sockets."""

from __future__ import annotations

import pathlib
import re

import pytest

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI, ValidationError
from open_to_close._model.flat import DEFAULT_STATUS_MAP
from open_to_close.sandbox import SandboxServer

FLAT = {
    "address": "12 Field Way",
    "city": "Austin",
    "state": "TX",
    "zip_code": "78701",
    "title": "12 Field Way sale",
    "status": "under_contract",
    "client_type": "Seller",
    "listing_price": 455000,
    "purchase_amount": 450500.5,
    "property_type": "Condo",
    "bedrooms": 3,
    "bathrooms": 2.5,
    "square_feet": 1850,
    "closing_date": "2026-12-20",
}


def _requests(sb: SandboxServer, label: str) -> int:
    return sum(n for key, n in sb.stats()["requests"].items() if key.startswith(label))


def test_every_default_alias_round_trips(client: OpenToCloseAPI) -> None:
    created = client.properties.create_property(FLAT)
    assert set(created) >= {"id", "created"}
    assert {k: created[k] for k in FLAT} == FLAT  # the create answers the flat view too
    record = client.properties.retrieve_property(created["id"])
    assert {k: record[k] for k in FLAT} == FLAT
    assert len(record["field_values"]) == 497  # the API's record is all there
    by_key = {v["key"]: v["value"] for v in record["field_values"]}
    assert by_key["property_address"] == "12 Field Way"
    assert by_key["contract_status"] == "Under Contract"  # the account's own option title


def test_updates_merge_and_read_back_flat(client: OpenToCloseAPI) -> None:
    pid = client.properties.create_property({"address": "1 Merge St", "city": "Austin"})["id"]
    updated = client.properties.update_property(pid, {"status": "sold", "listing_price": 1})
    assert updated["status"] == "sold" and updated["city"] == "Austin"
    assert client.properties.retrieve_property(pid)["listing_price"] == 1


def test_title_defaults_to_the_address(client: OpenToCloseAPI) -> None:
    pid = client.properties.create_property({"address": "9 Title Rd"})["id"]
    assert client.properties.retrieve_property(pid)["title"] == "9 Title Rd"


@pytest.mark.parametrize("spelling", ["LISTING-ACTIVE", "listing - active", "Active", "active"])
def test_choices_by_title_in_any_case_or_flat_status(client: OpenToCloseAPI, spelling: str) -> None:
    pid = client.properties.create_property({"address": "x", "status": spelling})["id"]
    assert client.properties.retrieve_property(pid)["status"] == "active"


def test_field_keys_and_the_raw_form_pass(client: OpenToCloseAPI) -> None:
    by_key = client.properties.create_property({"property_address": "5 Key Ct", "bath": "3"})
    assert client.properties.retrieve_property(by_key["id"])["bathrooms"] == 3
    city = client.property_fields.get("property_city")
    assert city is not None
    raw = client.properties.create_property(
        {"time_zone_id": 1, "fields": [{"id": city["id"], "value": "Boise"}]}
    )
    assert client.properties.retrieve_property(raw["id"])["city"] == "Boise"


def test_unknown_names_and_options_fail_before_any_write(
    client: OpenToCloseAPI, sb: SandboxServer
) -> None:
    client.property_fields.keys()  # the field table is read once per client
    before = sb.stats()["requests"].copy()
    with pytest.raises(ValidationError) as caught:
        client.properties.create_property(
            {"adress": "1 Typo St", "status": "for sale", "bedrooms": "lots"}
        )
    errors = caught.value.field_errors
    assert set(errors) == {"adress", "status", "bedrooms"}
    assert "flat names: address" in errors["adress"]
    assert "active" in errors["status"] and "Listing-Active" in errors["status"]
    assert sb.stats()["requests"] == before  # nothing was sent
    with pytest.raises(ValidationError, match="listing_price"):
        client.properties.update_property(1, {"listing_price": "call us"})
    assert sb.stats()["requests"] == before


def test_fields_and_team_are_read_once(client: OpenToCloseAPI, sb: SandboxServer) -> None:
    for n in range(20):
        client.properties.create_property({"address": f"{n} Once Ln"})
    assert _requests(sb, "GET /propertyFields") == 1
    assert _requests(sb, "GET /teams") == 1
    assert _requests(sb, "POST /properties") == 20


def test_settings_skip_the_team_lookup(sb: SandboxServer) -> None:
    member = OpenToCloseAPI(sb.api_key, sb.base_url).property_fields.team_member_id()
    with OpenToCloseAPI(sb.api_key, sb.base_url, team_member_id=member) as client:
        client.properties.create_property({"address": "1 Set St"})
    assert _requests(sb, "GET /teams") == 1  # the first client's lookup only


def test_refresh_reads_the_fields_again(client: OpenToCloseAPI, sb: SandboxServer) -> None:
    assert "contract_status" in client.property_fields
    assert len(client.property_fields) == 497
    client.property_fields.refresh()
    assert _requests(sb, "GET /propertyFields") == 2


def test_same_flat_code_on_two_accounts_with_different_ids() -> None:
    ids = []
    for seed in (1, 2):
        with SandboxServer(api_key="k", seed=seed) as sb, OpenToCloseAPI("k", sb.base_url) as c:
            pid = c.properties.create_property({"address": "7 Twin Rd", "status": "sold"})["id"]
            assert c.properties.retrieve_property(pid)["status"] == "sold"
            status = c.property_fields.get("contract_status")
            assert status is not None
            ids.append((status["id"], tuple(o["id"] for o in status["options"])))
    assert ids[0] != ids[1]


def test_no_field_or_option_id_in_the_source() -> None:
    """Ids belong to each account: nothing in src/ may spell one (the sandbox draws its own)."""
    src = pathlib.Path(__file__).parents[2] / "src" / "open_to_close"
    suspicious = re.compile(r"\b(926565|field_\d{4,})\b")
    hits = [p for p in src.rglob("*.py") if suspicious.search(p.read_text())]
    assert hits == []


def test_status_map_and_aliases_are_settings(sb: SandboxServer) -> None:
    with OpenToCloseAPI(
        sb.api_key,
        sb.base_url,
        field_aliases={"county": "property_county"},
        status_map={"active": "Listing - Pre-MLS"},
    ) as client:
        pid = client.properties.create_property(
            {"address": "3 Map St", "county": "Travis", "status": "active"}
        )["id"]
        record = client.properties.retrieve_property(pid)
    assert record["county"] == "Travis" and record["status"] == "active"
    assert {v["key"]: v["value"] for v in record["field_values"]}["contract_status"] == (
        "Listing - Pre-MLS"
    )


def test_flat_filters_are_applied_by_the_client(client: OpenToCloseAPI) -> None:
    for n in range(6):
        client.properties.create_property(
            {"address": f"{n} Filter St", "status": "active" if n % 2 else "sold"}
        )
    sold = list(client.properties.iter_properties({"status": "sold"}))
    assert len(sold) == 3 and {p["status"] for p in sold} == {"sold"}
    assert len(client.properties.list_properties({"contract_status": "closed"})) == 3


def test_default_status_map_covers_the_default_account(client: OpenToCloseAPI) -> None:
    client.property_fields.keys()
    assert set(client.property_fields.codec.statuses) == set(DEFAULT_STATUS_MAP)


def test_notes_and_tags_keep_the_guides_names(client: OpenToCloseAPI) -> None:
    pid = client.properties.create_property({"address": "1 Note St"})["id"]
    note = client.property_notes.create_property_note(pid, {"content": "Listed today"})
    assert note["description"] == note["content"] == "Listed today"
    tag = client.tags.create_tag({"name": "hot"})
    assert tag["title"] == tag["name"] == "hot"


async def test_async_client_has_the_same_view(aclient: AsyncOpenToCloseAPI) -> None:
    created = await aclient.properties.create_property(FLAT)
    record = await aclient.properties.retrieve_property(created["id"])
    assert {k: record[k] for k in FLAT} == FLAT
    field = await aclient.property_fields.get("contract_status")
    assert field is not None and field["type"] == "choice"
    assert "property_city" in await aclient.property_fields.keys()
    with pytest.raises(ValidationError, match="adress"):
        await aclient.properties.create_property({"adress": "x"})
    updated = await aclient.properties.update_property(created["id"], {"status": "terminated"})
    assert updated["status"] == "terminated"
    found = [p async for p in aclient.properties.iter_properties({"status": "terminated"})]
    assert [p["id"] for p in found] == [created["id"]]
