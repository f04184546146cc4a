"""Every resource of the table: create, list, retrieve, update (PUT and PATCH), delete."""

from __future__ import annotations

import httpx2
import pytest

from open_to_close._model.resources import RESOURCES, ResourceSpec

from .conftest import ALL_SPECS, KEY, minimal_body, path_of


def _setup(api: httpx2.Client, spec: ResourceSpec) -> tuple[int | None, dict[str, object]]:
    """A parent property (for sub-resources) and a valid create body."""
    property_id = None
    if spec.parent is not None:
        property_id = api.post("/properties", json={"address": "1 Main St"}).json()["id"]
    contact_id = api.post("/contacts", json={"first_name": "A", "last_name": "B"}).json()["id"]
    return property_id, minimal_body(spec, contact_id)


@ALL_SPECS
def test_crud_over_socket(api: httpx2.Client, spec: ResourceSpec) -> None:
    property_id, body = _setup(api, spec)
    created = api.post(path_of(spec, property_id), json={**body, "custom_field": "kept"})
    assert created.status_code == 201, created.text
    record = created.json()
    assert isinstance(record["id"], int)
    assert record["custom_field"] == "kept"
    assert record["created_at"] == record["updated_at"]
    assert record["created_at"].endswith("Z")
    if property_id is not None:
        assert record["property_id"] == property_id

    item = path_of(spec, property_id, record["id"])
    assert api.get(item).json() == record
    listed = api.get(path_of(spec, property_id)).json()
    assert [r["id"] for r in listed] == [record["id"]] or spec.attribute == "contacts"

    put = api.put(item, json={"custom_field": "changed", "id": 999, "created_at": "x"})
    assert put.status_code == 200, put.text
    updated = put.json()
    assert updated["id"] == record["id"]
    assert updated["created_at"] == record["created_at"]
    assert updated["custom_field"] == "changed"
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
        property_id = (await aapi.post("/properties", json={"address": "1 Main"})).json()["id"]
    contact = await aapi.post("/contacts", json={"first_name": "A", "last_name": "B"})
    created = await aapi.post(
        path_of(spec, property_id), json=minimal_body(spec, contact.json()["id"])
    )
    assert created.status_code == 201, created.text
    item = path_of(spec, property_id, created.json()["id"])
    assert (await aapi.get(item)).json() == created.json()
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
        assert response.status_code == 404, method
        assert "message" in response.json()


def test_sub_record_is_not_reachable_through_another_property(api: httpx2.Client) -> None:
    first = api.post("/properties", json={"address": "a"}).json()["id"]
    second = api.post("/properties", json={"address": "b"}).json()["id"]
    note = api.post(f"/properties/{first}/notes", json={"content": "hi"}).json()["id"]
    assert api.get(f"/properties/{second}/notes/{note}").status_code == 404
    assert api.get(f"/properties/{first}/notes/{note}").status_code == 200


def test_deleting_a_property_deletes_its_sub_records(api: httpx2.Client) -> None:
    pid = api.post("/properties", json={"address": "a"}).json()["id"]
    other = api.post("/properties", json={"address": "b"}).json()["id"]
    contact = api.post("/contacts", json={"first_name": "A", "last_name": "B"}).json()["id"]
    children = {
        spec: api.post(path_of(spec, pid), json=minimal_body(spec, contact)).json()["id"]
        for spec in RESOURCES
        if spec.parent
    }
    kept = api.post(f"/properties/{other}/notes", json={"content": "stays"}).json()["id"]
    assert api.delete(f"/properties/{pid}").status_code == 204
    for spec, child in children.items():
        assert api.get(path_of(spec, pid, child)).status_code == 404
    assert api.get(f"/properties/{other}/notes/{kept}").status_code == 200
    assert api.get(f"/contacts/{contact}").status_code == 200  # the contact itself remains


def test_property_fields(api: httpx2.Client) -> None:
    fields = api.get("/propertyFields").json()
    by_name = {f["name"]: f for f in fields}
    assert by_name["address"]["required"] is True
    assert "under_contract" in by_name["status"]["enum"]
    assert {"listing_price", "bedrooms", "external_id", "team_id"} <= set(by_name)


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999999", "1.5"])
def test_odd_ids_are_404(api: httpx2.Client, bad_id: str) -> None:
    assert api.get(f"/properties/{bad_id}").status_code == 404
    assert api.get(f"/properties/{bad_id}/notes").status_code == 404


def test_unknown_route_and_wrong_method(api: httpx2.Client) -> None:
    assert api.get("/nope").status_code == 404
    response = api.delete("/properties")
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
