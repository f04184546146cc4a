"""Shared fixtures: one sandbox (a real local Open To Close API) and clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI
from open_to_close.sandbox import SandboxServer

API_KEY = "test-key-5f1e9c0a7b"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(api_key=API_KEY, webhook_secret="whsec-test") as server:
        yield server


@pytest.fixture
def sb(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox, emptied, with no faults and no rate limit."""
    sandbox_server.reset()
    sandbox_server.set_faults()
    sandbox_server.set_rate_limit(None)
    yield sandbox_server
    sandbox_server.set_faults()
    sandbox_server.set_rate_limit(None)


@pytest.fixture
def client(sb: SandboxServer) -> Iterator[OpenToCloseAPI]:
    with OpenToCloseAPI(sb.api_key, sb.base_url, retry_backoff=0.01) as api:
        yield api


@pytest.fixture(params=["httpx2", "aiohttp"])
async def aclient(
    sb: SandboxServer, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncOpenToCloseAPI]:
    async with AsyncOpenToCloseAPI(
        sb.api_key, sb.base_url, retry_backoff=0.01, http_backend=request.param
    ) as api:
        yield api
