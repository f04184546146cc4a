"""AsyncCachedOTCClient against the sandbox (httpx2 and aiohttp) and the real Redis."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis
from prometheus_client import CollectorRegistry

from open_to_close import AsyncOpenToCloseAPI, Call, Hook, NotFoundError, OpenToCloseAPI
from open_to_close.cache import (
    AsyncCachedOTCClient,
    CacheBackend,
    CachedOTCClient,
    MemoryCache,
    RedisCache,
    SQLCache,
)
from open_to_close.sandbox import SandboxServer

from .conftest import REDIS_URL, closed_port

WAIT = 10.0  # bound on every wait below; the tests pass in milliseconds
CROWD = 20


def _gets(sb: SandboxServer, route: str = "GET /properties/{id}") -> int:
    return int(sb.stats()["requests"].get(route, 0))


def _misses(registry: CollectorRegistry, cache_type: str) -> float:
    return registry.get_sample_value("otc_cache_misses_total", {"cache_type": cache_type}) or 0.0


@pytest.fixture(params=["memory", "redis", "sqlite"])
def abackend(request: pytest.FixtureRequest, redis_prefix: str, tmp_path: Path) -> CacheBackend:
    if request.param == "memory":
        return MemoryCache()
    if request.param == "redis":
        return RedisCache(REDIS_URL, prefix=redis_prefix)
    return SQLCache(f"sqlite:///{tmp_path / 'cache.db'}")


@pytest.fixture
async def cached(
    aclient: AsyncOpenToCloseAPI, abackend: CacheBackend, registry: CollectorRegistry
) -> AsyncIterator[AsyncCachedOTCClient]:
    async with AsyncCachedOTCClient(aclient, abackend, registry=registry) as made:
        yield made
    abackend.close()


async def test_second_read_is_a_hit(
    cached: AsyncCachedOTCClient, aclient: AsyncOpenToCloseAPI, sb: SandboxServer
) -> None:
    pid = (await aclient.properties.create_property({"address": "1 Hit St"}))["id"]
    first = await cached.get_property(pid)
    first["address"] = "changed by the caller"  # a copy: the cache keeps its own
    second = await cached.get_property(pid)
    assert second["address"] == "1 Hit St"
    assert _gets(sb) == 1
    assert await cached.list_properties() == await cached.list_properties()
    assert _gets(sb, "GET /properties") == 1
    assert (await cached.get_property(pid, use_cache=False))["id"] == pid
    assert _gets(sb) == 2


async def test_no_stale_read_after_a_write(
    cached: AsyncCachedOTCClient, aclient: AsyncOpenToCloseAPI, sb: SandboxServer
) -> None:
    pid = (await cached.create_property({"address": "1 Old Rd", "status": "active"}))["id"]
    await cached.get_property(pid)
    assert len(await cached.list_properties({"status": "active"})) == 1
    await cached.update_property(pid, {"status": "sold"})
    assert (await cached.get_property(pid))["status"] == "sold"
    assert await cached.list_properties({"status": "active"}) == []
    await aclient.properties.update_property(pid, {"city": "Direct"})  # not through `cached`
    assert (await cached.get_property(pid))["city"] == "Direct"
    await cached.delete_property(pid)
    with pytest.raises(NotFoundError):
        await cached.get_property(pid)


async def test_a_note_written_on_the_client_refreshes_details(
    cached: AsyncCachedOTCClient, aclient: AsyncOpenToCloseAPI, sb: SandboxServer
) -> None:
    pid = (await cached.create_property({"address": "1 Note St"}))["id"]
    await aclient.property_tasks.create_property_task(pid, {"title": "Call"})
    details = await cached.get_property_with_details(pid)
    assert details["property"]["id"] == pid and details["notes"] == []
    assert [t["title"] for t in details["tasks"]] == ["Call"] and details["documents"] == []
    assert (await cached.get_property_with_details(pid))["cached_at"] == details["cached_at"]
    await aclient.property_notes.create_property_note(pid, {"content": "Inspection booked"})
    notes = (await cached.get_property_with_details(pid))["notes"]
    assert [n["content"] for n in notes] == ["Inspection booked"]
    assert _gets(sb) == 2


async def test_invalidate_property_and_clear(
    cached: AsyncCachedOTCClient, client: OpenToCloseAPI, sb: SandboxServer
) -> None:
    pid = client.properties.create_property({"address": "1 Else St"})["id"]
    await cached.get_property(pid)
    client.properties.update_property(pid, {"city": "Elsewhere"})  # a write we never saw
    assert (await cached.get_property(pid))["city"] is None  # stale until told (or the TTL)
    await cached.invalidate_property(pid)
    assert (await cached.get_property(pid))["city"] == "Elsewhere"
    assert await cached.clear() > 0
    await cached.get_property(pid)
    assert _gets(sb) == 3


async def test_teams_are_cached(
    cached: AsyncCachedOTCClient, aclient: AsyncOpenToCloseAPI, sb: SandboxServer
) -> None:
    tid = (await aclient.teams.create_team({"name": "Closers"}))["id"]
    listed = [t["name"] for t in await cached.list_teams()]
    own = listed[:-1]  # the account's own team, which the live API always has
    assert listed == [*own, "Closers"] and len(own) == 1
    assert (await cached.get_team(tid))["name"] == "Closers"
    assert await cached.get_team(tid) == await cached.get_team(tid)
    assert len(await cached.list_teams()) == 2
    assert _gets(sb, "GET /teams") == 1 and _gets(sb, "GET /teams/{id}") == 1
    await aclient.teams.update_team(tid, {"name": "Openers"})
    assert [t["name"] for t in await cached.list_teams()] == [*own, "Openers"]
    assert (await cached.get_team(tid))["name"] == "Openers"


class WaitForCrowd(Hook):
    """Holds the first request until every caller has missed (so reached the flight); the
    sandbox's latency then covers the few loop turns they need to join it."""

    def __init__(self, registry: CollectorRegistry, cache_type: str) -> None:
        self.registry, self.cache_type = registry, cache_type

    def on_request(self, call: Call) -> None:
        deadline = time.monotonic() + WAIT
        while _misses(self.registry, self.cache_type) < CROWD and time.monotonic() < deadline:
            time.sleep(0.002)  # blocks the loop; the lookups run in worker threads


async def test_concurrent_misses_make_one_call(
    cached: AsyncCachedOTCClient,
    aclient: AsyncOpenToCloseAPI,
    sb: SandboxServer,
    registry: CollectorRegistry,
) -> None:
    pid = (await aclient.properties.create_property({"address": "1 Crowd St"}))["id"]
    aclient.add_hook(WaitForCrowd(registry, cached.backend.name))
    sb.set_faults(latency_ms=100)
    results = await asyncio.gather(*(cached.get_property(pid) for _ in range(CROWD)))
    assert _gets(sb) == 1
    assert all(r == {**results[0], "address": "1 Crowd St"} for r in results)
    results[0]["address"] = "changed"  # each caller got its own copy
    assert sum(r["address"] == "1 Crowd St" for r in results) == CROWD - 1


async def test_a_failure_is_shared(
    cached: AsyncCachedOTCClient, sb: SandboxServer, registry: CollectorRegistry
) -> None:
    cached.otc_client.add_hook(WaitForCrowd(registry, cached.backend.name))
    sb.set_faults(latency_ms=100)
    outcomes = await asyncio.gather(
        *(cached.get_property(999_999) for _ in range(CROWD)), return_exceptions=True
    )
    assert all(isinstance(o, NotFoundError) for o in outcomes)
    assert _gets(sb) == 1


async def test_a_cancelled_caller_does_not_cancel_the_others(
    aclient: AsyncOpenToCloseAPI, sb: SandboxServer
) -> None:
    cached = AsyncCachedOTCClient(aclient, registry=CollectorRegistry())
    pid = (await aclient.properties.create_property({"address": "1 Quit St"}))["id"]
    sb.set_faults(latency_ms=50)
    first = asyncio.create_task(cached.get_property(pid))
    second = asyncio.create_task(cached.get_property(pid))
    await asyncio.sleep(0)  # both have joined the load
    first.cancel()
    assert (await asyncio.wait_for(second, WAIT))["address"] == "1 Quit St"
    assert first.cancelled() and _gets(sb) == 1
    await cached.close()


async def test_redis_down_reads_go_to_the_api(
    aclient: AsyncOpenToCloseAPI, sb: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    backend = RedisCache(f"redis://127.0.0.1:{closed_port()}/0", prefix="otc-async-down:")
    async with AsyncCachedOTCClient(aclient, backend, registry=CollectorRegistry()) as cached:
        pid = (await cached.create_property({"address": "1 Down St"}))["id"]
        with caplog.at_level(logging.WARNING, logger="open_to_close.cache"):
            for _ in range(3):
                assert (await cached.get_property(pid))["address"] == "1 Down St"
            await cached.update_property(pid, {"city": "Still Works"})
            assert (await cached.get_property(pid))["city"] == "Still Works"
            assert (await cached.get_property_with_details(pid))["property"]["id"] == pid
    assert _gets(sb) == 5  # every read went to the API
    assert sum("unavailable" in r.getMessage() for r in caplog.records) == 1
    backend.close()


@pytest.mark.parametrize("planted", [b"\x80\x04junk", b'{"s": "", "v": "not a record"}', b""])
async def test_planted_junk_in_redis_is_a_miss(
    aclient: AsyncOpenToCloseAPI, sb: SandboxServer, redis_prefix: str, planted: bytes
) -> None:
    backend = RedisCache(REDIS_URL, prefix=redis_prefix)
    async with AsyncCachedOTCClient(aclient, backend, registry=CollectorRegistry()) as cached:
        pid = (await cached.create_property({"address": "1 Trust St"}))["id"]
        redis.Redis.from_url(REDIS_URL).set(f"{redis_prefix}item:properties:{pid}", planted)
        assert (await cached.get_property(pid))["address"] == "1 Trust St"
        assert (await cached.get_property(pid))["address"] == "1 Trust St"  # replaced
    assert _gets(sb) == 1
    backend.close()


async def test_shares_entries_with_the_sync_client(
    aclient: AsyncOpenToCloseAPI, client: OpenToCloseAPI, sb: SandboxServer, redis_prefix: str
) -> None:
    backend = RedisCache(REDIS_URL, prefix=redis_prefix)
    sync_cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    pid = client.properties.create_property({"address": "1 Both St"})["id"]
    sync_cached.get_property(pid)
    async with AsyncCachedOTCClient(aclient, backend, registry=CollectorRegistry()) as cached:
        assert (await cached.get_property(pid))["address"] == "1 Both St"
        assert _gets(sb) == 1
        await cached.update_property(pid, {"city": "Async"})  # invalidates for both
    assert sync_cached.get_property(pid)["city"] == "Async"
    sync_cached.close()
    backend.close()


async def test_wrong_client_types_are_refused(
    aclient: AsyncOpenToCloseAPI, client: OpenToCloseAPI
) -> None:
    with pytest.raises(
        TypeError, match=r"for an AsyncOpenToCloseAPI, use .*\.AsyncCachedOTCClient"
    ):
        CachedOTCClient(aclient)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"for an OpenToCloseAPI, use .*\.CachedOTCClient"):
        AsyncCachedOTCClient(client)  # type: ignore[arg-type]
    cached = AsyncCachedOTCClient(aclient)
    assert "api_key='***'" in repr(cached) and "AsyncCachedOTCClient" in repr(cached)
    await cached.close()
    assert not aclient.hooks


@pytest.mark.defect(6)
async def test_a_write_cancelled_after_the_server_took_it_leaves_no_stale_read(
    cached: AsyncCachedOTCClient, aclient: AsyncOpenToCloseAPI, sb: SandboxServer
) -> None:
    pid = (await aclient.properties.create_property({"address": "1 Cut St", "status": "active"}))[
        "id"
    ]
    await aclient.properties.update_property(pid, {"city": "Warm"})  # PATCH learned already
    assert (await cached.get_property(pid))["status"] == "active"  # cached now
    sb.set_faults(latency_ms=300, after_commit=True)  # the write is made, the answer is late
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(cached.update_property(pid, {"status": "sold"}), 0.1)
    sb.set_faults()
    await asyncio.sleep(0.5)  # the server applies it meanwhile
    assert (await cached.get_property(pid))["status"] == "sold"
