"""CacheWarmer fills the cache so that the first reads need no API call."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import OpenToCloseAPI
from open_to_close.cache import CacheBackend, CachedOTCClient, CacheWarmer
from open_to_close.sandbox import SandboxServer

from .conftest import CallCounter


def test_warm_popular_properties(
    client: OpenToCloseAPI, backend: CacheBackend, counter: CallCounter
) -> None:
    for n in range(5):
        client.properties.create_property({"address": f"{n} Warm St", "status": "active"})
    client.properties.create_property({"address": "9 Cold St", "status": "sold"})
    cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    warmer = CacheWarmer(cached)
    before = counter.calls.copy()
    assert warmer.warm_popular_properties(limit=3) == 3
    assert counter.calls["GET /properties/{id}"] == before["GET /properties/{id}"]
    assert counter.calls["GET /properties"] == before["GET /properties"] + 1
    active = [p["id"] for p in client.properties.iter_properties({"status": "active"})][:3]
    reads = counter.calls["GET /properties/{id}"]
    for pid in active:
        assert cached.get_property(pid)["status"] == "active"
    assert counter.calls["GET /properties/{id}"] == reads
    with pytest.raises(ValueError, match="limit"):
        warmer.warm_popular_properties(limit=0)


def test_warming_pages_at_the_apis_size(
    sb: SandboxServer, client: OpenToCloseAPI, counter: CallCounter
) -> None:
    """The live API serves 50 properties a page, whatever ``limit`` asks: the warmer reads
    on past the first page and past records the filter drops, and needs no request per
    record."""
    for n in range(60):
        client.properties.create_property({"address": f"{n} Sold St", "status": "sold"})
    ids = [
        client.properties.create_property({"address": f"{n} Hot St", "status": "active"})["id"]
        for n in range(60)
    ]
    cached = CachedOTCClient(client, registry=CollectorRegistry())
    before = counter.calls.copy()
    assert CacheWarmer(cached).warm_popular_properties(limit=55) == 55
    pages = counter.calls["GET /properties"] - before["GET /properties"]
    assert pages <= 3 + 1  # 110 records read, 50 a page, at most one extra request
    assert counter.calls["GET /properties/{id}"] == before["GET /properties/{id}"]
    assert [cached.get_property(pid)["address"] for pid in ids[:55]] == [
        f"{n} Hot St" for n in range(55)
    ]
    assert counter.calls["GET /properties/{id}"] == before["GET /properties/{id}"]
    assert sb.stats()["requests"].get("GET /properties/{id}", 0) == 0


def test_warm_team_data(
    client: OpenToCloseAPI, backend: CacheBackend, counter: CallCounter
) -> None:
    ids = [client.teams.create_team({"name": f"Team {n}"})["id"] for n in range(3)]
    cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    assert CacheWarmer(cached).warm_team_data() == 3 + 1  # and the account's own team
    assert [cached.get_team(tid)["name"] for tid in ids] == ["Team 0", "Team 1", "Team 2"]
    assert counter.calls["GET /teams/{id}"] == 0
    client.teams.update_team(ids[0], {"name": "Renamed"})
    assert cached.get_team(ids[0])["name"] == "Renamed"


def test_a_write_during_warming_keeps_listed_records_out(
    client: OpenToCloseAPI, counter: CallCounter
) -> None:
    """Records listed before a write may be older than it: they are not cached."""
    tid = client.teams.create_team({"name": "Before"})["id"]
    cached = CachedOTCClient(client, registry=CollectorRegistry())

    def list_then_write() -> list[dict[str, object]]:
        teams = client.teams.list_teams()
        client.teams.update_team(tid, {"name": "After"})
        return teams

    cached.cache_listed("teams", list_then_write)
    assert cached.get_team(tid)["name"] == "After"
