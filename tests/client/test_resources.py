"""Every resource and sub-resource through the real client against the sandbox, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from open_to_close import (
    AsyncOpenToCloseAPI,
    MethodNotAllowedError,
    NotFoundError,
    OpenToCloseAPI,
)
from open_to_close._model.codec import FieldTable
from open_to_close._model.resources import RESOURCES, ResourceSpec

from ._data import CREATE, UPDATE

# Properties (field-based) and property contacts (create-only links) have tests of their own.
SPECS = [
    pytest.param(spec, id=spec.attribute)
    for spec in RESOURCES
    if spec.attribute not in ("properties", "property_contacts")
]


def _body(spec: ResourceSpec, contact_id: int) -> dict[str, Any]:
    return dict(CREATE[spec.attribute])


def _stamp(record: dict[str, Any]) -> Any:
    return record.get("created_at", record.get("created"))


@pytest.mark.parametrize("spec", SPECS)
def test_crud_sync(client: OpenToCloseAPI, spec: ResourceSpec) -> None:
    resource = getattr(client, spec.attribute)
    s, p = spec.singular, spec.plural
    parent: tuple[Any, ...] = ()
    if spec.parent:
        parent = (client.properties.create_property({"address": "9 Parent Rd"})["id"],)
    contact = client.contacts.create_contact({"first_name": "Li", "last_name": "Link"})

    created = getattr(resource, f"create_{s}")(*parent, _body(spec, contact["id"]))
    assert "id" in created and _stamp(created) is not None
    if spec.parent:
        assert created["property_id"] == parent[0]
    fetched = getattr(resource, f"retrieve_{s}")(*parent, created["id"])
    assert fetched == created

    field, value = UPDATE[spec.attribute]
    updated = getattr(resource, f"update_{s}")(*parent, created["id"], {field: value})
    assert updated[field] == value
    assert updated["id"] == created["id"] and _stamp(updated) == _stamp(created)
    for key, original in _body(spec, contact["id"]).items():
        if key != field:
            assert updated[key] == original  # PUT merges: untouched fields stay

    listed = getattr(resource, f"list_{p}")(*parent)
    assert created["id"] in [r["id"] for r in listed]
    every = list(getattr(resource, f"iter_{p}")(*parent, page_size=1))
    assert [r["id"] for r in every] == [r["id"] for r in listed]

    assert getattr(resource, f"delete_{s}")(*parent, created["id"]) == {}
    with pytest.raises(NotFoundError) as info:
        getattr(resource, f"retrieve_{s}")(*parent, created["id"])
    assert info.value.status_code == 404
    assert info.value.method == "GET"


@pytest.mark.parametrize("spec", SPECS)
async def test_crud_async(aclient: AsyncOpenToCloseAPI, spec: ResourceSpec) -> None:
    resource = getattr(aclient, spec.attribute)
    s, p = spec.singular, spec.plural
    parent: tuple[Any, ...] = ()
    if spec.parent:
        parent = ((await aclient.properties.create_property({"address": "9 Parent Rd"}))["id"],)
    contact = await aclient.contacts.create_contact({"first_name": "Li", "last_name": "Link"})

    created = await getattr(resource, f"create_{s}")(*parent, _body(spec, contact["id"]))
    assert await getattr(resource, f"retrieve_{s}")(*parent, created["id"]) == created
    field, value = UPDATE[spec.attribute]
    updated = await getattr(resource, f"update_{s}")(*parent, created["id"], {field: value})
    assert updated[field] == value
    listed = await getattr(resource, f"list_{p}")(*parent)
    every = [r async for r in getattr(resource, f"iter_{p}")(*parent, page_size=1)]
    assert [r["id"] for r in every] == [r["id"] for r in listed]
    assert await getattr(resource, f"delete_{s}")(*parent, created["id"]) == {}
    with pytest.raises(NotFoundError):
        await getattr(resource, f"retrieve_{s}")(*parent, created["id"])


def test_property_crud(client: OpenToCloseAPI) -> None:
    created = client.properties.create_property({"address": "1 Crud St", "city": "Austin"})
    assert {"id", "created"} <= set(created) and created["address"] == "1 Crud St"
    fetched = client.properties.retrieve_property(created["id"])
    assert fetched["city"] == "Austin" and fetched["created"]
    updated = client.properties.update_property(created["id"], {"city": "Dallas"})
    assert updated["city"] == "Dallas" and updated["address"] == "1 Crud St"
    assert [p["id"] for p in client.properties.list_properties()] == [created["id"]]
    assert [p["id"] for p in client.properties.iter_properties(page_size=1)] == [created["id"]]
    assert client.properties.delete_property(created["id"]) == {}
    with pytest.raises(NotFoundError):
        client.properties.retrieve_property(created["id"])


async def test_property_crud_async(aclient: AsyncOpenToCloseAPI) -> None:
    created = await aclient.properties.create_property({"address": "2 Crud St"})
    updated = await aclient.properties.update_property(created["id"], {"city": "Waco"})
    assert updated["city"] == "Waco"
    assert (await aclient.properties.retrieve_property(created["id"]))["city"] == "Waco"
    assert await aclient.properties.delete_property(created["id"]) == {}


def test_property_fields(client: OpenToCloseAPI) -> None:
    groups = client.properties.get_property_fields()
    assert groups and all(isinstance(g, dict) and "group" in g for g in groups)
    assert "property_address" in FieldTable.parse(groups)


async def test_property_fields_async(aclient: AsyncOpenToCloseAPI) -> None:
    assert await aclient.properties.get_property_fields()


def test_one_pool_for_every_resource(client: OpenToCloseAPI) -> None:
    transports = {id(getattr(client, spec.attribute)._transport) for spec in RESOURCES}
    assert transports == {id(client._transport)}


def test_property_contact_links_a_contact(client: OpenToCloseAPI) -> None:
    prop = client.properties.create_property({"address": "5 Link Ln"})
    contact = client.contacts.create_contact({"first_name": "Bo", "last_name": "Buyer"})
    link = client.property_contacts.create_property_contact(
        prop["id"], {"contact_id": contact["id"]}
    )
    assert link["contact"]["id"] == contact["id"] and link["property"] == {"id": prop["id"]}
    again = client.property_contacts.retrieve_property_contact(prop["id"], link["id"])
    assert again["id"] == link["id"]
    listed = client.property_contacts.list_property_contacts(prop["id"])
    assert [pc["contact"]["first_name"] for pc in listed] == ["Bo"]
    with pytest.raises(MethodNotAllowedError) as info:  # links are made and read, not edited
        client.property_contacts.update_property_contact(prop["id"], link["id"], {"x": 1})
    assert info.value.allowed == ("GET",)
    with pytest.raises(MethodNotAllowedError):
        client.property_contacts.delete_property_contact(prop["id"], link["id"])


def test_sub_resources_under_a_missing_property_are_404(client: OpenToCloseAPI) -> None:
    with pytest.raises(NotFoundError):
        client.property_notes.list_property_notes(999_999)
    with pytest.raises(NotFoundError):
        client.property_tasks.create_property_task(999_999, {"title": "x"})


def test_deleting_a_property_deletes_its_notes(client: OpenToCloseAPI) -> None:
    prop = client.properties.create_property({"address": "7 Gone Ave"})
    note = client.property_notes.create_property_note(prop["id"], {"content": "bye"})
    client.properties.delete_property(prop["id"])
    with pytest.raises(NotFoundError):
        client.property_notes.retrieve_property_note(prop["id"], note["id"])


@pytest.mark.parametrize("bad", [None, "", True, 1.5, ["1"]])
def test_bad_ids_are_refused_before_sending(client: OpenToCloseAPI, bad: Any) -> None:
    with pytest.raises(TypeError, match="id must be"):
        client.properties.retrieve_property(bad)


def test_ids_cannot_escape_the_path(client: OpenToCloseAPI) -> None:
    client.teams.create_team({"name": "T"})
    with pytest.raises(NotFoundError):
        client.properties.retrieve_property("../teams/1")


def test_data_must_be_a_mapping(client: OpenToCloseAPI) -> None:
    with pytest.raises(TypeError, match="data must be a dict"):
        client.properties.create_property([("address", "x")])  # type: ignore[arg-type]
