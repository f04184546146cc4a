"""Pacing from X-RateLimit-* headers: bulk work waits for the window instead of hitting 429.

The live API has not been seen to send these headers; the sandbox sends them with its
``rate_limit_headers=True`` extension, which every test here uses (``sb`` below replaces
the shared live-like sandbox for this module). Pacing without headers is tested in
``test_live_transport.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI, RateLimitError
from open_to_close.sandbox import SandboxServer

from ..conftest import API_KEY


@pytest.fixture(scope="module")
def headed_server() -> Iterator[SandboxServer]:
    with SandboxServer(api_key=API_KEY, rate_limit_headers=True) as server:
        yield server


@pytest.fixture
def sb(headed_server: SandboxServer) -> Iterator[SandboxServer]:
    headed_server.reset()
    headed_server.set_rate_limit(None)
    yield headed_server
    headed_server.set_rate_limit(None)


def _clear_of_minute_boundary() -> None:
    """A per-minute window must not reset in the middle of a test that fills it."""
    if time.time() % 60 > 57:
        time.sleep(60 - time.time() % 60 + 0.05)


def test_threads_sharing_a_client_stay_under_the_limit(sb: SandboxServer) -> None:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        prop = client.properties.create_property({"address": "1 Pace St"})
        sb.set_rate_limit("40/s")
        with ThreadPoolExecutor(8) as pool:
            results = list(
                pool.map(lambda _: client.properties.retrieve_property(prop["id"]), range(120))
            )
    assert len(results) == 120
    stats = sb.stats()
    assert stats["rate_limited"] <= 0.02 * 120


async def test_tasks_sharing_a_client_stay_under_the_limit(sb: SandboxServer) -> None:
    async with AsyncOpenToCloseAPI(sb.api_key, sb.base_url, http_backend="aiohttp") as client:
        prop = await client.properties.create_property({"address": "1 Pace St"})
        sb.set_rate_limit("40/s")
        sem = asyncio.Semaphore(16)

        async def one() -> None:
            async with sem:
                await client.properties.retrieve_property(prop["id"])

        await asyncio.gather(*(one() for _ in range(120)))
    assert sb.stats()["rate_limited"] <= 0.02 * 120


def test_a_429_is_waited_out(sb: SandboxServer) -> None:
    sb.set_rate_limit("5/s")
    with OpenToCloseAPI(sb.api_key, sb.base_url) as other:
        for _ in range(5):  # another process uses up the window
            other.contacts.list_contacts()
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:  # knows nothing of it yet
        assert client.contacts.list_contacts() == []
    assert sb.stats()["rate_limited"] >= 1


def test_rate_limit_error_when_retries_are_off(sb: SandboxServer) -> None:
    _clear_of_minute_boundary()
    sb.set_rate_limit("2/m")
    with OpenToCloseAPI(sb.api_key, sb.base_url) as other:
        other.contacts.list_contacts()
        other.contacts.list_contacts()
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            client.contacts.list_contacts()
    assert info.value.status_code == 429
    assert info.value.retry_after is not None and 1 <= info.value.retry_after <= 60


def test_retry_after_longer_than_allowed_raises_at_once(sb: SandboxServer) -> None:
    _clear_of_minute_boundary()
    sb.set_rate_limit("1/m")
    with OpenToCloseAPI(sb.api_key, sb.base_url, max_retry_delay=0.5) as client:
        client.contacts.list_contacts()
        with pytest.raises(RateLimitError) as info:
            client.contacts.list_contacts()
    assert info.value.retry_after is not None and info.value.retry_after >= 1
    assert sb.stats()["rate_limited"] == 1  # not retried


async def test_cancelled_requests_do_not_starve_the_pacer(sb: SandboxServer) -> None:
    async with AsyncOpenToCloseAPI(sb.api_key, sb.base_url) as client:
        prop = await client.properties.create_property({"address": "1 Cancel Ct"})
        sb.set_rate_limit("5/s")
        await client.properties.retrieve_property(prop["id"])  # the pacer learns the limit
        sb.set_faults(latency_ms=300)
        pending = [
            asyncio.create_task(client.properties.retrieve_property(prop["id"])) for _ in range(8)
        ]
        await asyncio.sleep(0.05)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        sb.set_faults()
        assert client._transport.pacer._in_flight == 0
        results = await asyncio.gather(
            *(client.properties.retrieve_property(prop["id"]) for _ in range(6))
        )
    assert len(results) == 6


def test_pacing_stops_when_the_server_drops_its_limit(sb: SandboxServer) -> None:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        sb.set_rate_limit("100/s")
        client.contacts.list_contacts()
        assert client._transport.pacer.active
        sb.set_rate_limit(None)
        client.contacts.list_contacts()
        assert not client._transport.pacer.active
