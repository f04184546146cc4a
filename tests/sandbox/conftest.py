"""Fixtures: one sandbox on a real socket for the module, emptied before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from open_to_close._model.codec import FieldTable, PropertyCodec
from open_to_close._model.resources import RESOURCES, ResourceSpec
from open_to_close._model.schema import FIELDS
from open_to_close.sandbox import SandboxServer, create_app

KEY = "sandbox-test-key"

SAMPLE_VALUES: dict[str, Any] = {"string": "x", "integer": 7, "number": 1.5}


def minimal_body(spec: ResourceSpec, contact_id: int | None = None) -> dict[str, Any]:
    """The required fields of a create, with plausible values."""
    body: dict[str, Any] = {}
    for field in FIELDS[spec.attribute]:
        if not field.required:
            continue
        if field.references == "contacts":
            body[field.name] = contact_id
        elif field.enum:
            body[field.name] = field.enum[0]
        else:
            body[field.name] = f"{field.name} value" if field.type == "string" else 3
    return body


FLAT_SPECS = [s for s in RESOURCES if s.attribute != "properties"]


def codec_of(api: httpx2.Client) -> PropertyCodec:
    """The flat view of the sandbox's account, read as a client reads it."""
    return PropertyCodec(FieldTable.parse(api.get("/propertyFields").json()))


def member_of(api: httpx2.Client) -> int:
    """The first member of the first team: what a client sends as team_member_id."""
    return int(api.get("/teams/").json()[0]["team_members"][0]["id"])


def create_body(api: httpx2.Client, **flat: Any) -> dict[str, Any]:
    """A ``POST /properties/`` body for flat values (``address``, ``status``, ...)."""
    fields = codec_of(api).encode(flat or {"address": "1 Main St"}, creating=True)
    return {"team_member_id": member_of(api), "time_zone_id": 1, "fields": fields}


def new_property(api: httpx2.Client, **flat: Any) -> int:
    response = api.post("/properties/", json=create_body(api, **flat))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def flat(api: httpx2.Client, record: dict[str, Any]) -> dict[str, Any]:
    return codec_of(api).flatten(record)


def path_of(
    spec: ResourceSpec, property_id: int | None = None, record_id: int | None = None
) -> str:
    template = spec.collection_template if record_id is None else spec.item_template
    return template.format(property_id=property_id, id=record_id)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(api_key=KEY, webhook_secret="whsec") as server:
        yield server


@pytest.fixture
def sbx(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The module's sandbox, empty, with no faults and no rate limit."""
    sandbox.reset()
    sandbox.set_faults()
    sandbox.set_rate_limit(None)
    yield sandbox
    sandbox.set_faults()
    sandbox.set_rate_limit(None)


@pytest.fixture
def api(sbx: SandboxServer) -> Iterator[httpx2.Client]:
    """A keep-alive client over the socket, authenticated with ``api_token``."""
    with httpx2.Client(base_url=sbx.base_url, params={"api_token": KEY}, timeout=10) as client:
        yield client


@pytest.fixture
async def aapi() -> AsyncIterator[httpx2.AsyncClient]:
    """An async client driving a fresh app in process, no socket."""
    app = create_app(api_key=KEY)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(
        transport=transport, base_url="http://sandbox/v1", params={"api_token": KEY}
    ) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    app.state.sandbox.close()


ALL_SPECS = pytest.mark.parametrize("spec", FLAT_SPECS, ids=[s.attribute for s in FLAT_SPECS])
"""Every resource but properties (field-based: see test_properties.py)."""
