"""Bad input: 400 for a body that isn't a JSON object, 422 naming each bad field."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from open_to_close._model.resources import RESOURCES, ResourceSpec
from open_to_close.sandbox.schema import FIELDS, PROPERTY_STATUSES, TASK_STATUSES

from .conftest import ALL_SPECS, path_of


def _parent(api: httpx2.Client, spec: ResourceSpec) -> int | None:
    if spec.parent is None:
        return None
    return int(api.post("/properties", json={"address": "1 Main"}).json()["id"])


@ALL_SPECS
def test_missing_required_fields(api: httpx2.Client, spec: ResourceSpec) -> None:
    response = api.post(path_of(spec, _parent(api, spec)), json={})
    assert response.status_code == 422
    body = response.json()
    assert body["message"]
    required = {f.name for f in FIELDS[spec.attribute] if f.required}
    assert set(body["errors"]) == required
    assert all(reason == "is required" for reason in body["errors"].values())


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("listing_price", "cheap", "must be a number"),
        ("listing_price", True, "must be a number"),
        ("bedrooms", 2.5, "must be an integer"),
        ("bedrooms", False, "must be an integer"),
        ("square_feet", "1000", "must be an integer"),
        ("team_id", "5", "must be an integer"),
        ("city", 12, "must be a string"),
        ("status", "for_sale", "must be one of"),
        ("address", "", "must not be empty"),
        ("address", None, "cannot be null"),
        ("extra", {"nested": 1}, "custom fields"),
        ("extra", [1, 2], "custom fields"),
    ],
)
def test_wrong_types_and_values(api: httpx2.Client, field: str, value: Any, reason: str) -> None:
    body = {"address": "1 Main", field: value}
    response = api.post("/properties", json=body)
    assert response.status_code == 422, response.text
    assert reason in response.json()["errors"][field]


def test_optional_fields_take_null_and_numbers_take_ints(api: httpx2.Client) -> None:
    body = {"address": "a", "city": None, "listing_price": 300000, "bathrooms": 2, "flag": True}
    response = api.post("/properties", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["city"] is None and response.json()["flag"] is True


@pytest.mark.parametrize("status", PROPERTY_STATUSES)
def test_every_property_status_is_accepted(api: httpx2.Client, status: str) -> None:
    assert api.post("/properties", json={"address": "a", "status": status}).status_code == 201


def test_task_status_enum(api: httpx2.Client) -> None:
    pid = _parent(api, RESOURCES[-1])
    tasks = f"/properties/{pid}/tasks"
    for status in TASK_STATUSES:
        assert api.post(tasks, json={"title": "t", "status": status}).status_code == 201
    bad = api.post(tasks, json={"title": "t", "status": "done"})
    assert bad.status_code == 422 and "status" in bad.json()["errors"]


def test_update_validates_too(api: httpx2.Client) -> None:
    pid = api.post("/properties", json={"address": "a"}).json()["id"]
    for body in ({"status": "nope"}, {"address": None}, {"bedrooms": "2"}):
        response = api.put(f"/properties/{pid}", json=body)
        assert response.status_code == 422, body
    assert api.get(f"/properties/{pid}").json()["address"] == "a"


def test_property_contact_needs_an_existing_contact(api: httpx2.Client) -> None:
    pid = api.post("/properties", json={"address": "a"}).json()["id"]
    response = api.post(f"/properties/{pid}/contacts", json={"contact_id": 98765})
    assert response.status_code == 422
    assert "contact_id" in response.json()["errors"]
    wrong_type = api.post(f"/properties/{pid}/contacts", json={"contact_id": "1"})
    assert wrong_type.json()["errors"]["contact_id"] == "must be an integer"
    contact = api.post("/contacts", json={"first_name": "A", "last_name": "B"}).json()["id"]
    link = api.post(f"/properties/{pid}/contacts", json={"contact_id": contact, "role": "buyer"})
    assert link.status_code == 201
    moved = api.patch(f"/properties/{pid}/contacts/{link.json()['id']}", json={"contact_id": 5555})
    assert moved.status_code == 422


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[1, 2]", b'"text"', b"null", b"NaN", b'{"a": 1e999}', b"[" * 5000]
)
def test_bodies_that_are_not_json_objects_are_400(api: httpx2.Client, raw: bytes) -> None:
    for method, path in (("POST", "/properties"), ("PUT", "/properties/1")):
        if method == "PUT":
            api.post("/properties", json={"address": "a"})
        response = api.request(method, path, content=raw)
        assert response.status_code == 400, (method, raw[:20])
        assert response.json()["message"] and "body" in response.json()["errors"]
