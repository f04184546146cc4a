"""The cache going down never fails a read; coming back, it serves nothing stale."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import OpenToCloseAPI
from open_to_close.cache import CachedOTCClient, RedisCache, SQLCache

from ._proxy import TcpProxy
from .conftest import CallCounter, closed_port


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy(("127.0.0.1", 6379))
    proxy.start()
    yield proxy
    proxy.stop()


def _errors(registry: CollectorRegistry, cache_type: str) -> float:
    labels = {"cache_type": cache_type, "reason": "unavailable"}
    return registry.get_sample_value("otc_cache_errors_total", labels) or 0.0


def test_redis_never_reachable(
    client: OpenToCloseAPI, counter: CallCounter, caplog: pytest.LogCaptureFixture
) -> None:
    registry = CollectorRegistry()
    backend = RedisCache(f"redis://127.0.0.1:{closed_port()}/0", prefix="otc-down:")
    cached = CachedOTCClient(client, backend, registry=registry)
    pid = client.properties.create_property({"address": "1 Down St"})["id"]
    with caplog.at_level(logging.WARNING, logger="open_to_close.cache"):
        for _ in range(3):
            assert cached.get_property(pid)["address"] == "1 Down St"
        assert cached.list_properties()[0]["id"] == pid
        cached.update_property(pid, {"city": "Still Works"})
        assert cached.get_property(pid)["city"] == "Still Works"
    assert counter.calls["GET /properties/{id}"] == 4  # every read went to the API
    assert _errors(registry, "redis") >= 5
    outage_lines = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage_lines) == 1  # logged when it starts, not on every call


def test_sql_database_unreachable(client: OpenToCloseAPI) -> None:
    registry = CollectorRegistry()
    backend = SQLCache("sqlite://")
    cached = CachedOTCClient(client, backend, registry=registry)
    pid = client.properties.create_property({"address": "1 Locked St"})["id"]
    with backend._engine.begin() as conn:  # the table vanishes: every query fails
        backend.table.drop(conn)
    assert cached.get_property(pid)["id"] == pid
    assert _errors(registry, "sql") == 1


def test_redis_stopped_mid_run_and_back(
    client: OpenToCloseAPI, counter: CallCounter, proxy: TcpProxy, redis_prefix: str
) -> None:
    registry = CollectorRegistry()
    backend = RedisCache(f"redis://127.0.0.1:{proxy.port}/0", prefix=redis_prefix)
    cached = CachedOTCClient(client, backend, registry=registry, retry_interval=0.05)
    pid = client.properties.create_property({"address": "1 Flaky St", "city": "Before"})["id"]
    cached.get_property(pid)
    cached.get_property(pid)
    assert counter.calls["GET /properties/{id}"] == 1

    proxy.stop()  # Redis "goes down" mid-run
    assert cached.get_property(pid)["city"] == "Before"  # answered from the API
    # A write during the outage: its invalidation can't reach Redis yet.
    cached.update_property(pid, {"city": "During"})
    assert cached.get_property(pid)["city"] == "During"
    assert _errors(registry, "redis") >= 2

    proxy.start()  # back, still holding the entry cached before the write
    time.sleep(0.1)  # past retry_interval
    # The pending invalidation is written before anything is read: no stale "Before".
    assert cached.get_property(pid)["city"] == "During"
    calls = counter.calls["GET /properties/{id}"]
    assert cached.get_property(pid)["city"] == "During"
    assert counter.calls["GET /properties/{id}"] == calls  # and the cache serves again
