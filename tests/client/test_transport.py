"""Bring-your-own HTTP client: it is used as given, and left open for its owner."""

from __future__ import annotations

import httpx2

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI
from open_to_close.sandbox import SandboxServer


def test_a_client_passed_in_is_used_and_left_open(sb: SandboxServer) -> None:
    seen: list[httpx2.Request] = []
    with httpx2.Client(event_hooks={"request": [seen.append]}) as http:
        with OpenToCloseAPI(sb.api_key, sb.base_url, http_client=http) as client:
            created = client.properties.create_property({"address": "1 Own Pool Rd"})
            fetched = client.properties.retrieve_property(created["id"])
            assert fetched["address"] == created["address"] == "1 Own Pool Rd"
        assert not http.is_closed
        assert all(r.headers["user-agent"].startswith("open-to-close-python/") for r in seen)
        posts = [r for r in seen if r.method == "POST"]
        assert len(posts) == 1 and "idempotency-key" in posts[0].headers


async def test_an_async_client_passed_in(sb: SandboxServer) -> None:
    async with httpx2.AsyncClient() as http:
        async with AsyncOpenToCloseAPI(sb.api_key, sb.base_url, http_client=http) as client:
            assert await client.properties.list_properties() == []
        assert not http.is_closed
