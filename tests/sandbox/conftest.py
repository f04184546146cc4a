"""Fixtures: one sandbox on a real socket for the module, emptied before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from open_to_close._model.resources import RESOURCES, ResourceSpec
from open_to_close.sandbox import SandboxServer, create_app
from open_to_close.sandbox.schema import FIELDS

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


ALL_SPECS = pytest.mark.parametrize("spec", RESOURCES, ids=[s.attribute for s in RESOURCES])
