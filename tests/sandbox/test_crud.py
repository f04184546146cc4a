"""The flat resources: create, list, retrieve, update (PUT and PATCH), delete; live shapes."""

from __future__ import annotations

import httpx2
import pytest

from open_to_close._model.resources import RESOURCES, ResourceSpec

from .conftest import ALL_SPECS, KEY, minimal_body, new_property, path_of

_STAMPED = {"agents", "teams", "users", "tags", "property_documents", "property_emails"}
_STAMPED |= {"property_notes", "property_tasks"}


def _setup(api: httpx2.Client, spec: ResourceSpec) -> tuple[int | None, dict[str, object]]:
    """A parent property (for sub-resources) and a valid create body."""
    property_id = new_property(api) if spec.parent is not None else None
    contact_id = api.post("/contacts", json={"first_name": "A", "last_name": "B"}).json()["id"]
    return property_id, minimal_body(spec, contact_id)


@ALL_SPECS
def test_crud_over_socket(api: httpx2.Client, spec: ResourceSpec) -> None:
    property_id, body = _setup(api, spec)
    extra = {} if spec.attribute == "property_contacts" else {"custom_field": "kept"}
    created = api.post(path_of(spec, property_id), json={**body, **extra})
    assert created.status_code == 201, created.text
    record = created.json()
    assert isinstance(record["id"], int)
    if spec.attribute in _STAMPED:
        assert record["created_at"] == record["updated_at"]
        assert record["created_at"].endswith("Z")
    else:
        assert set(record["created"]) == {"date", "timezone_type", "timezone"}
    if property_id is not None and spec.attribute != "property_contacts":
        assert record["property_id"] == property_id

    item = path_of(spec, property_id, record["id"])
    assert api.get(item).json() == record
    listed = api.get(path_of(spec, property_id)).json()
    assert record["id"] in [r["id"] for r in listed]
    assert api.get(path_of(spec, property_id) + "/").json() == listed  # the slash is optional

    if spec.attribute == "property_contacts":
        for method in ("PUT", "PATCH", "DELETE"):
            refused = api.request(method, item, json={} if method != "DELETE" else None)
            assert refused.status_code == 405 and refused.headers["allow"] == "GET", method
        return
    put = api.put(item, json={"custom_field": "changed", "id": 999, "created_at": "x"})
    assert put.status_code == 200, put.text
    updated = put.json()
    assert updated["id"] == record["id"]
    assert updated.get("created_at") == record.get("created_at")
    assert updated.get("created") == record.get("created")
    assert updated["custom_field"] == "changed"
    if spec.attribute in _STAMPED:
        assert updated["updated_at"] > record["updated_at"]
    for name, value in body.items():
        assert updated[name] == value  # merged, not replaced

    patched = api.patch(item, json={"another": 1, "property_id": 12345}).json()
    assert patched["custom_field"] == "changed" and patched["another"] == 1
    assert patched.get("property_id") == property_id

    deleted = api.delete(item)
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.get(item).status_code == 404
    assert api.delete(item).status_code == 404
    assert api.put(item, json={}).status_code == 404


@ALL_SPECS
async def test_crud_in_process(aapi: httpx2.AsyncClient, spec: ResourceSpec) -> None:
    property_id = None
    if spec.parent is not None:
        fields = (await aapi.get("/propertyFields")).json()
        key = fields[0]["group"]["sections"][0]["section"]["fields"][0]
        teams = (await aapi.get("/teams/")).json()
        body = {
            "team_member_id": teams[0]["team_members"][0]["id"],
            "fields": [{"id": key["id"], "value": "1 Main"}],
        }
        property_id = (await aapi.post("/properties/", json=body)).json()["id"]
    contact = await aapi.post("/contacts", json={"first_name": "A", "last_name": "B"})
    created = await aapi.post(
        path_of(spec, property_id), json=minimal_body(spec, contact.json()["id"])
    )
    assert created.status_code == 201, created.text
    item = path_of(spec, property_id, created.json()["id"])
    assert (await aapi.get(item)).json() == created.json()
    if spec.attribute != "property_contacts":
        assert (await aapi.delete(item)).status_code == 204
        assert (await aapi.get(item)).status_code == 404


@pytest.mark.parametrize(
    "spec", [s for s in RESOURCES if s.parent], ids=[s.attribute for s in RESOURCES if s.parent]
)
def test_sub_resources_of_missing_property_are_404(api: httpx2.Client, spec: ResourceSpec) -> None:
    collection = path_of(spec, 424242)
    item = path_of(spec, 424242, 1)
    assert api.get(collection).status_code == 404
    assert api.post(collection, json=minimal_body(spec, 1)).status_code == 404
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = api.request(method, item, json={} if method in ("PUT", "PATCH") else None)
        expected = 405 if spec.attribute == "property_contacts" and method != "GET" else 404
        assert response.status_code == expected, method
        assert "message" in response.json()


def test_sub_record_is_not_reachable_through_another_property(api: httpx2.Client) -> None:
    first, second = new_property(api), new_property(api)
    note = api.post(f"/properties/{first}/notes", json={"description": "hi"}).json()["id"]
    assert api.get(f"/properties/{second}/notes/{note}").status_code == 404
    assert api.get(f"/properties/{first}/notes/{note}").status_code == 200


def test_deleting_a_property_deletes_its_sub_records(api: httpx2.Client) -> None:
    pid, other = new_property(api), new_property(api)
    contact = api.post("/contacts", json={"first_name": "A", "last_name": "B"}).json()["id"]
    children = [
        (spec, api.post(path_of(spec, pid), json=minimal_body(spec, contact)).json()["id"])
        for spec in RESOURCES
        if spec.parent
    ]
    kept = api.post(f"/properties/{other}/notes", json={"description": "stays"}).json()["id"]
    assert api.delete(f"/properties/{pid}").status_code == 204
    for spec, child in children:
        assert api.get(path_of(spec, pid, child)).status_code == 404
    assert api.get(f"/properties/{other}/notes/{kept}").status_code == 200
    assert api.get(f"/contacts/{contact}").status_code == 200  # the contact itself remains


def test_contacts_need_no_field_and_refuse_name(api: httpx2.Client) -> None:
    empty = api.post("/contacts", json={})
    assert empty.status_code == 201 and set(empty.json()) == {"id", "created"}
    created = empty.json()["created"]
    assert created["timezone_type"] == 3 and created["timezone"] == "UTC"
    refused = api.post("/contacts", json={"name": "John Doe"})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Bad request" and "name" in refused.json()["errors"]


def test_notes_take_description(api: httpx2.Client) -> None:
    pid = new_property(api)
    assert api.post(f"/properties/{pid}/notes", json={"content": "x"}).status_code == 400
    note = api.post(f"/properties/{pid}/notes", json={"description": "x"})
    assert note.status_code == 201 and note.json()["description"] == "x"


def test_tags_take_title(api: httpx2.Client) -> None:
    assert api.post("/tags", json={"name": "hot"}).status_code == 400
    assert api.post("/tags", json={"title": "hot"}).json()["title"] == "hot"


def test_property_contact_from_contact_id(api: httpx2.Client) -> None:
    pid = new_property(api)
    contact = api.post(
        "/contacts", json={"first_name": "John", "last_name": "Smith", "email": "j@x.example"}
    ).json()
    link = api.post(f"/properties/{pid}/contacts", json={"contact_id": contact["id"]})
    assert link.status_code == 201
    body = link.json()
    assert set(body) == {"id", "created", "priority", "property", "contact", "contact_role"}
    assert body["priority"] == "" and body["contact_role"] == []
    assert body["property"] == {"id": pid}
    assert body["contact"] == {
        "id": contact["id"],
        "first_name": "John",
        "last_name": "Smith",
        "email": "j@x.example",
    }
    assert api.get(f"/properties/{pid}/contacts").json() == [body]
    missing = api.post(f"/properties/{pid}/contacts", json={"contact_id": 98765})
    assert missing.status_code == 400 and "contact_id" in missing.json()["errors"]
    assert api.post(f"/properties/{pid}/contacts", json={}).status_code == 400


def test_teams_have_members_and_reference_routes(sbx: object, api: httpx2.Client) -> None:
    teams = api.get("/teams/").json()
    assert teams == api.get("/teams").json()
    members = teams[0]["team_members"]
    assert members and all({"id", "user_id", "name"} <= set(m) for m in members)
    made = api.post("/teams", json={"name": "Second"}).json()
    assert made["team_members"] == []
    for path in ("/timeZones/", "/timeZones", "/timezones", "/timezones/"):
        zones = api.get(path).json()
        assert {"id", "country_code", "country_zone", "zone_abbreviation"} == set(zones[0])
        assert 1 in [z["id"] for z in zones]
    roles = api.get("/contactRoles/").json()
    assert roles and all(set(r) == {"id", "title"} for r in roles)


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999999", "1.5"])
def test_odd_ids_are_404(api: httpx2.Client, bad_id: str) -> None:
    assert api.get(f"/properties/{bad_id}").status_code == 404
    assert api.get(f"/properties/{bad_id}/notes").status_code == 404


def test_unknown_route_and_wrong_method(api: httpx2.Client) -> None:
    assert api.get("/nope").status_code == 404
    response = api.delete("/contacts")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert httpx2.get(str(api.base_url).rstrip("/") + "/nope").status_code == 401


def test_auth(sbx: object, api: httpx2.Client) -> None:
    base = str(api.base_url).rstrip("/")
    assert httpx2.get(f"{base}/properties", params={"api_token": KEY}).status_code == 200
    bearer = httpx2.get(f"{base}/properties", headers={"Authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 200
    for response in (
        httpx2.get(f"{base}/properties"),
        httpx2.get(f"{base}/properties", params={"api_token": "wrong"}),
        httpx2.get(f"{base}/properties", headers={"Authorization": "Bearer wrong"}),
        httpx2.get(f"{base}/properties", headers={"Authorization": f"Basic {KEY}"}),
    ):
        assert response.status_code == 401
        assert "api_token" in response.json()["message"]
    assert httpx2.get(f"{base}/openapi.json").status_code == 200  # the document is public
