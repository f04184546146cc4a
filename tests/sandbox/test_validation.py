"""Bad input to the flat resources: 400 ``{"message": "Bad request", "errors": {...}}``."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from open_to_close._model.flat import TASK_STATUSES
from open_to_close._model.resources import ResourceSpec
from open_to_close._model.schema import FIELDS

from .conftest import ALL_SPECS, new_property, path_of


def _parent(api: httpx2.Client, spec: ResourceSpec) -> int | None:
    return new_property(api) if spec.parent is not None else None


@ALL_SPECS
def test_missing_required_fields(api: httpx2.Client, spec: ResourceSpec) -> None:
    response = api.post(path_of(spec, _parent(api, spec)), json={})
    required = {f.name for f in FIELDS[spec.attribute] if f.required}
    if not required:
        assert response.status_code == 201  # contacts: no field is required
        return
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Bad request"
    assert set(body["errors"]) == required
    assert all(reason == "is required" for reason in body["errors"].values())


@pytest.mark.parametrize(
    ("path", "field", "value", "reason"),
    [
        ("/agents", "team_id", "5", "must be an integer"),
        ("/agents", "team_id", True, "must be an integer"),
        ("/agents", "phone", 12, "must be a string"),
        ("/agents", "email", "", "must not be empty"),
        ("/agents", "email", None, "cannot be null"),
        ("/agents", "extra", {"nested": 1}, "custom fields"),
        ("/agents", "extra", [1, 2], "custom fields"),
        ("/contacts", "name", "John Doe", "first_name"),
    ],
)
def test_wrong_types_and_values(
    api: httpx2.Client, path: str, field: str, value: Any, reason: str
) -> None:
    body = {"first_name": "a", "last_name": "b", "email": "e@x.example", field: value}
    response = api.post(path, json=body)
    assert response.status_code == 400, response.text
    assert reason in response.json()["errors"][field]


def test_optional_fields_take_null(api: httpx2.Client) -> None:
    body = {"first_name": "a", "last_name": "b", "email": "e", "phone": None, "flag": True}
    response = api.post("/agents", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["phone"] is None and response.json()["flag"] is True


def test_task_status_enum(api: httpx2.Client) -> None:
    tasks = f"/properties/{new_property(api)}/tasks"
    for status in TASK_STATUSES:
        assert api.post(tasks, json={"title": "t", "status": status}).status_code == 201
    bad = api.post(tasks, json={"title": "t", "status": "done"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_update_validates_too(api: httpx2.Client) -> None:
    made = api.post("/agents", json={"first_name": "a", "last_name": "b", "email": "e"}).json()
    for body in ({"email": None}, {"team_id": "2"}, {"x": [1]}):
        response = api.put(f"/agents/{made['id']}", json=body)
        assert response.status_code == 400, body
    assert api.get(f"/agents/{made['id']}").json() == made


def test_property_contact_needs_an_existing_contact(api: httpx2.Client) -> None:
    pid = new_property(api)
    response = api.post(f"/properties/{pid}/contacts", json={"contact_id": 98765})
    assert response.status_code == 400
    assert "contact_id" in response.json()["errors"]
    wrong_type = api.post(f"/properties/{pid}/contacts", json={"contact_id": "1"})
    assert wrong_type.json()["errors"]["contact_id"] == "must be an integer"


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[1, 2]", b'"text"', b"null", b"NaN", b'{"a": 1e999}', b"[" * 5000]
)
def test_bodies_that_are_not_json_objects_are_400(api: httpx2.Client, raw: bytes) -> None:
    pid = new_property(api)
    agent = api.post("/agents", json={"first_name": "a", "last_name": "b", "email": "e"})
    for method, path in (
        ("POST", "/properties/"),
        ("PATCH", f"/properties/{pid}"),
        ("POST", "/contacts"),
        ("PUT", f"/agents/{agent.json()['id']}"),
    ):
        response = api.request(method, path, content=raw)
        assert response.status_code == 400, (method, raw[:20])
        assert response.json()["message"] and "body" in response.json()["errors"]
