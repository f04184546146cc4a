"""DatabaseCachedClient (SQLite and PostgreSQL): the guide's durable cache, thread-safe."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import OpenToCloseAPI
from open_to_close.cache import DatabaseCachedClient

from .conftest import PG_URL, CallCounter


@pytest.fixture(params=["sqlite", "postgresql"])
def db_client(
    request: pytest.FixtureRequest, client: OpenToCloseAPI, tmp_path: Path, pg_table: str
) -> Iterator[DatabaseCachedClient]:
    registry = CollectorRegistry()
    if request.param == "sqlite":
        made = DatabaseCachedClient(client, f"sqlite:///{tmp_path / 'otc.db'}", registry=registry)
    else:
        made = DatabaseCachedClient(client, PG_URL, table=pg_table, registry=registry)
    yield made
    made.close()


def test_reads_are_cached_and_writes_invalidate(
    db_client: DatabaseCachedClient, client: OpenToCloseAPI, counter: CallCounter
) -> None:
    pid = client.properties.create_property({"address": "1 Durable Rd"})["id"]
    assert db_client.get_property(pid)["address"] == "1 Durable Rd"
    assert db_client.get_property(pid, ttl_minutes=10)["address"] == "1 Durable Rd"
    assert counter.calls["GET /properties/{id}"] == 1
    db_client.update_property(pid, {"address": "2 Durable Rd"})
    assert db_client.get_property(pid)["address"] == "2 Durable Rd"
    assert db_client.list_properties()[0]["address"] == "2 Durable Rd"
    assert db_client.get_property_with_details(pid)["notes"] == []


def test_cleanup_expired_cache_counts_what_it_removed(
    db_client: DatabaseCachedClient, client: OpenToCloseAPI
) -> None:
    ids = [client.properties.create_property({"address": f"{n} Old St"})["id"] for n in range(3)]
    for pid in ids:
        db_client.get_property(pid, ttl_minutes=0.001)  # 60 ms
    db_client.list_properties({"limit": 1}, ttl_minutes=0.001)
    db_client.list_properties({"limit": 2}, ttl_minutes=10)  # still fresh: kept
    time.sleep(0.15)
    assert db_client.cleanup_expired_cache() == {"expired_properties": 3, "expired_lists": 1}
    assert db_client.cleanup_expired_cache() == {"expired_properties": 0, "expired_lists": 0}


def test_survives_across_instances(
    client: OpenToCloseAPI, tmp_path: Path, counter: CallCounter
) -> None:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    pid = client.properties.create_property({"address": "1 Restart Ave"})["id"]
    with DatabaseCachedClient(client, url, registry=CollectorRegistry()) as first:
        first.get_property(pid)
    with DatabaseCachedClient(client, url, registry=CollectorRegistry()) as second:
        assert second.get_property(pid)["address"] == "1 Restart Ave"
    assert counter.calls["GET /properties/{id}"] == 1


def test_shared_across_threads(db_client: DatabaseCachedClient, client: OpenToCloseAPI) -> None:
    ids = [client.properties.create_property({"address": f"{n} Thread St"})["id"] for n in range(4)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for round_ in range(10):
                pid = ids[(n + round_) % len(ids)]
                assert db_client.get_property(pid)["id"] == pid
                if round_ % 5 == 0:
                    db_client.update_property(pid, {"bedrooms": round_})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
