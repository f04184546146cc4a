"""Properties as the live API serves them: field-based records, ids drawn per sandbox."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from open_to_close._model.codec import FieldTable
from open_to_close._model.property_fields import STATUS_OPTIONS, live_fields, options_for
from open_to_close.sandbox import SandboxServer

from .conftest import codec_of, create_body, flat, member_of, new_property


def _field_mappings(answer: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What ``get_field_mappings`` of theperrygroup/open-to-close does with the answer."""
    mappings: dict[str, dict[str, Any]] = {}
    for group in answer:
        if "group" not in group:
            continue
        for section in group["group"].get("sections", []):
            if "section" not in section:
                continue
            for field in section["section"].get("fields", []):
                key = field.get("key", "")
                if not key:
                    continue
                mapping = {"id": field.get("id"), "type": field.get("type"), "key": key}
                if field.get("type") == "choice" and "options" in field:
                    mapping["options"] = {
                        o.get("title", "").lower(): o.get("id") for o in field["options"]
                    }
                mappings[key] = mapping
    return mappings


def _ids(answer: list[dict[str, Any]]) -> list[Any]:
    table = FieldTable.parse(answer)
    return [f.id for f in table] + [o.id for f in table for o in f.options]


def test_property_fields_walk_like_published_clients(api: httpx2.Client) -> None:
    answer = api.get("/propertyFields").json()
    mappings = _field_mappings(answer)
    specs = live_fields()
    assert len(mappings) == len(specs) == 497
    for spec in specs:
        found = mappings[spec.key]
        assert found["type"] == spec.type and isinstance(found["id"], int)
        if spec.type == "choice":
            assert list(found["options"]) == [t.lower() for t in options_for(spec.key)]
    table = FieldTable.parse(answer)
    assert len(table) == 497
    status = table.get("contract_status")
    assert status is not None and [o.title for o in status.options] == list(STATUS_OPTIONS)
    ids = _ids(answer)
    assert len(ids) == len(set(ids)) and all(100_000 <= i < 10_000_000 for i in ids)
    assert 3 <= len(answer) <= 10  # a handful of groups, each with sections
    groups = api.get("/propertyFieldGroups").json()
    assert [g["id"] for g in groups] == [g["group"]["id"] for g in answer]
    sections = api.get("/propertyFieldSections").json()
    assert sum(len(g["group"]["sections"]) for g in answer) == len(sections)


def test_field_ids_are_drawn_per_seed() -> None:
    def answer(seed: int) -> list[Any]:
        with SandboxServer(seed=seed) as sb:
            return list(
                httpx2.get(f"{sb.base_url}/propertyFields", params={"api_token": sb.api_key}).json()
            )

    one, same, other = answer(1), answer(1), answer(2)
    assert _ids(one) == _ids(same)
    assert _ids(one) != _ids(other)


def test_create_answers_id_and_created(api: httpx2.Client) -> None:
    response = api.post("/properties/", json=create_body(api, address="1 Main St"))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "created"}
    assert isinstance(body["id"], int) and isinstance(body["created"], int)
    record = api.get(f"/properties/{body['id']}").json()
    assert flat(api, record)["address"] == "1 Main St"


def test_the_record_has_every_field(api: httpx2.Client) -> None:
    pid = new_property(api, address="2 Oak", status="active", listing_price=450000.5, bedrooms=3)
    record = api.get(f"/properties/{pid}").json()
    assert list(record) == [
        "id",
        "created",
        "timezone",
        "field_values",
        "team_id",
        "team_name",
        "team_user_id",
        "team_user_name",
        "agent_id",
        "agent_name",
        "brokerage",
    ]
    assert len(record["created"]) == 19 and record["created"][10] == " "
    assert record["timezone"] == "America/New_York"
    values = record["field_values"]
    assert len(values) == 497
    assert len({v["id"] for v in values}) == 497
    table = codec_of(api).table
    assert not {v["id"] for v in values} & {f.id for f in table}  # never a field's id
    by_key = {v["key"]: v for v in values}
    assert by_key["contract_status"]["value"] == "Listing-Active"  # the option's title
    assert by_key["bedrooms"]["value"] == "3"
    assert by_key["listing_price"]["value"] == 450000.5
    assert by_key["contract_title"]["value"] == "2 Oak"
    for value in values:
        expected = {"id", "value", "type", "label", "key"}
        if value["type"] == "date":
            expected |= {"start_time", "end_time"}
        assert set(value) == expected
    assert sum(v["value"] is not None for v in values) == 5
    assert len(api.get(f"/properties/{pid}").content) > 50_000  # as big as a live record
    other = api.get(f"/properties/{new_property(api)}").json()["field_values"]
    assert not {v["id"] for v in values} & {v["id"] for v in other}
    team = api.get("/teams/").json()[0]
    member = team["team_members"][0]
    assert (record["team_id"], record["team_name"]) == (team["id"], team["name"])
    assert (record["team_user_id"], record["agent_name"]) == (member["user_id"], member["name"])


def test_choices_by_option_id_or_title_in_any_case(api: httpx2.Client) -> None:
    field = codec_of(api).table.get("contract_client_type")
    assert field is not None
    member = member_of(api)
    for value in ("dual", "DUAL", field.options[2].id):
        body = {"team_member_id": member, "fields": [{"id": field.id, "value": value}]}
        pid = api.post("/properties/", json=body).json()["id"]
        record = api.get(f"/properties/{pid}").json()
        assert flat(api, record)["client_type"] == "Dual"


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        ("contract_status", "active", "fields[0].value"),  # a flat status is no title
        ("contract_status", 12, "fields[0].value"),
        ("bedrooms", True, "fields[0].value"),
        ("listing_price", "cheap", "fields[0].value"),
        ("year_built", 1999.5, "fields[0].value"),
        ("property_city", 12, "fields[0].value"),
        ("closing_date", "soon", "fields[0].value"),
    ],
)
def test_bad_values_are_400(api: httpx2.Client, key: str, value: Any, where: str) -> None:
    field = codec_of(api).table.get(key)
    assert field is not None
    body = {"team_member_id": member_of(api), "fields": [{"id": field.id, "value": value}]}
    response = api.post("/properties/", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Bad request"
    assert where in response.json()["errors"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"team_member_id": None}, "team_member_id"),
        ({"team_member_id": 1}, "team_member_id"),
        ({"time_zone_id": 999}, "time_zone_id"),
        ({"fields": [{"id": 1, "value": "x"}]}, "fields[0].id"),
        ({"fields": "address=1"}, "fields"),
        ({"fields": [{"value": "x"}]}, "fields[0]"),
    ],
)
def test_bad_creates_are_400(api: httpx2.Client, change: dict[str, Any], error: str) -> None:
    body = {**create_body(api), **change}
    response = api.post("/properties/", json=body)
    assert response.status_code == 400
    assert error in response.json()["errors"]
    for missing in ("team_member_id", "fields"):
        without = {k: v for k, v in create_body(api).items() if k != missing}
        assert missing in api.post("/properties/", json=without).json()["errors"]
    flat_body = api.post("/properties/", json={"address": "1 Main"})  # the guide's body
    assert flat_body.status_code == 400
    assert api.get("/properties").json() == []


def test_post_without_slash_and_put_are_405(api: httpx2.Client) -> None:
    response = api.post("/properties", json=create_body(api))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"
    pid = new_property(api)
    put = api.put(f"/properties/{pid}", json={"fields": []})
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, PATCH, DELETE"
    assert api.get("/properties/").json() == api.get("/properties").json()


def test_patch_merges_and_answers_the_record(api: httpx2.Client) -> None:
    codec = codec_of(api)
    pid = new_property(api, address="3 Elm", city="Austin", status="active")
    before = api.get(f"/properties/{pid}").json()
    response = api.patch(
        f"/properties/{pid}", json={"fields": codec.encode({"status": "sold", "city": None})}
    )
    assert response.status_code == 200
    after = response.json()
    assert after == api.get(f"/properties/{pid}").json()
    view = codec.flatten(after)
    assert (view["address"], view["city"], view["status"]) == ("3 Elm", None, "sold")
    assert after["created"] == before["created"]
    assert [v["id"] for v in after["field_values"]] == [v["id"] for v in before["field_values"]]
    assert "updated_at" not in after
    assert api.patch(f"/properties/{pid}", json={}).status_code == 400
    bad = api.patch(f"/properties/{pid}", json={"fields": [{"id": 7, "value": 1}]})
    assert bad.status_code == 400
    assert api.patch("/properties/99999", json={"fields": []}).status_code == 404


def test_delete(api: httpx2.Client) -> None:
    pid = new_property(api)
    assert api.delete(f"/properties/{pid}").status_code == 204
    assert api.get(f"/properties/{pid}").status_code == 404
    assert api.delete(f"/properties/{pid}").status_code == 404


def test_page_clamps(sbx: SandboxServer, api: httpx2.Client) -> None:
    sbx.core.add_samples(137)
    assert len(api.get("/properties").json()) == 20
    assert len(api.get("/properties", params={"limit": 100}).json()) == 50
    assert len(api.get("/properties", params={"limit": 30}).json()) == 30
    pages = [api.get("/properties", params={"limit": 50, "offset": o}).json() for o in (0, 50, 100)]
    assert [len(p) for p in pages] == [50, 50, 37]
    ids = [r["id"] for page in pages for r in page]
    assert ids == sorted(set(ids)) and len(ids) == 137
    ignored = api.get("/properties", params={"status": "active", "modified_since": "x"}).json()
    assert len(ignored) == 20  # no filter is known on the live API
    for n in range(120):
        api.post("/contacts", json={"first_name": f"c{n}"})
    assert len(api.get("/contacts").json()) == 20
    assert len(api.get("/contacts", params={"limit": 500}).json()) == 100
    assert api.get("/properties", params={"limit": "abc"}).status_code == 400


def test_samples_are_field_based_and_deterministic() -> None:
    def listing(seed: int) -> list[dict[str, Any]]:
        with SandboxServer(seed=seed) as sb:
            return list(
                httpx2.get(f"{sb.base_url}/properties", params={"api_token": sb.api_key}).json()
            )

    first, second = listing(4), listing(4)
    assert len(first) == 4
    strip = [{k: v for k, v in r.items() if k != "created"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "created"} for r in second]
    values = {v["key"]: v["value"] for v in first[0]["field_values"]}
    for key in (
        "property_address",
        "property_city",
        "property_state",
        "property_zip",
        "contract_title",
        "listing_price",
        "bedrooms",
        "bath",
        "square_footage",
        "property_type",
        "contract_client_type",
    ):
        assert values[key] not in (None, ""), key
    assert values["contract_status"] in STATUS_OPTIONS
