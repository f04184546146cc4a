"""CachedOTCClient on every backend: hits, TTLs, and no stale read after a write."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import OpenToCloseAPI
from open_to_close.cache import CacheBackend, CachedOTCClient

from .conftest import CallCounter


@pytest.fixture
def cached(
    client: OpenToCloseAPI, backend: CacheBackend, registry: CollectorRegistry
) -> CachedOTCClient:
    return CachedOTCClient(client, backend, registry=registry)


def _sample(registry: CollectorRegistry, name: str, cache_type: str) -> float:
    return registry.get_sample_value(name, {"cache_type": cache_type}) or 0.0


def test_second_read_is_a_hit(
    cached: CachedOTCClient,
    client: OpenToCloseAPI,
    counter: CallCounter,
    registry: CollectorRegistry,
) -> None:
    pid = client.properties.create_property({"address": "1 Hit St"})["id"]
    first = cached.get_property(pid)
    second = cached.get_property(pid)
    assert first == second and first["address"] == "1 Hit St"
    assert counter.calls["GET /properties/{id}"] == 1
    name = cached.backend.name
    assert _sample(registry, "otc_cache_hits_total", name) == 1
    assert _sample(registry, "otc_cache_misses_total", name) == 1


def test_results_are_copies(cached: CachedOTCClient, client: OpenToCloseAPI) -> None:
    pid = client.properties.create_property({"address": "1 Copy St"})["id"]
    client.property_notes.create_property_note(pid, {"content": "kept"})
    for _ in range(2):  # the first answer comes from the API, the second from the cache
        cached.get_property(pid)["address"] = "changed by the caller"
        details = cached.get_property_with_details(pid)
        details["notes"][0]["content"] = "changed"
        details["tasks"].append({"id": 0})
        cached.list_properties().clear()
    assert cached.get_property(pid)["address"] == "1 Copy St"
    details = cached.get_property_with_details(pid)
    assert details["notes"][0]["content"] == "kept" and details["tasks"] == []
    assert len(cached.list_properties()) == 1


def test_empty_results_are_cached_too(cached: CachedOTCClient, counter: CallCounter) -> None:
    assert cached.list_properties({"status": "sold"}) == []
    assert cached.list_properties({"status": "sold"}) == []
    assert counter.calls["GET /properties"] == 1


def test_lists_are_keyed_by_parameters(
    cached: CachedOTCClient, client: OpenToCloseAPI, counter: CallCounter
) -> None:
    client.properties.create_property({"address": "1 A", "status": "active"})
    client.properties.create_property({"address": "2 B", "status": "sold"})
    assert len(cached.list_properties({"status": "active"})) == 1
    assert len(cached.list_properties({"status": "sold"})) == 1
    assert len(cached.list_properties({"status": "sold", "limit": None})) == 1  # same query
    assert counter.calls["GET /properties"] == 2


def test_update_invalidates_record_details_and_lists(
    cached: CachedOTCClient, client: OpenToCloseAPI
) -> None:
    pid = client.properties.create_property({"address": "1 Old Rd", "status": "active"})["id"]
    cached.get_property(pid)
    cached.get_property_with_details(pid)
    cached.list_properties({"status": "active"})
    updated = cached.update_property(pid, {"address": "2 New Rd", "status": "sold"})
    assert updated["address"] == "2 New Rd"
    assert cached.get_property(pid)["address"] == "2 New Rd"
    assert cached.get_property_with_details(pid)["property"]["address"] == "2 New Rd"
    assert cached.list_properties({"status": "active"}) == []


def test_writes_on_the_client_itself_invalidate(
    cached: CachedOTCClient, client: OpenToCloseAPI
) -> None:
    """Writes made on the wrapped client (not through the cached one) count as well."""
    pid = client.properties.create_property({"address": "1 Side Door"})["id"]
    cached.get_property(pid)
    cached.list_properties()
    client.properties.update_property(pid, {"city": "Reno"})
    assert cached.get_property(pid)["city"] == "Reno"
    client.properties.create_property({"address": "2 Side Door"})
    assert len(cached.list_properties()) == 2


@pytest.mark.parametrize("kind", ["notes", "tasks", "documents"])
def test_sub_resource_writes_invalidate_details(
    cached: CachedOTCClient, client: OpenToCloseAPI, kind: str
) -> None:
    pid = client.properties.create_property({"address": "1 Detail Ln"})["id"]
    details = cached.get_property_with_details(pid)
    assert details[kind] == [] and details["cached_at"].endswith("Z")
    resource = getattr(client, f"property_{kind}")
    singular = kind[:-1]
    field = {"notes": "content", "tasks": "title", "documents": "name"}[kind]
    created = getattr(resource, f"create_property_{singular}")(pid, {field: "first"})
    assert [r["id"] for r in cached.get_property_with_details(pid)[kind]] == [created["id"]]
    getattr(resource, f"update_property_{singular}")(pid, created["id"], {field: "second"})
    assert cached.get_property_with_details(pid)[kind][0][field] == "second"
    getattr(resource, f"delete_property_{singular}")(pid, created["id"])
    assert cached.get_property_with_details(pid)[kind] == []


def test_details_hold_every_page(cached: CachedOTCClient, client: OpenToCloseAPI) -> None:
    pid = client.properties.create_property({"address": "1 Many Notes"})["id"]
    for n in range(60):  # more than one page of the API's default 50
        client.property_notes.create_property_note(pid, {"content": f"note {n}"})
    assert len(cached.get_property_with_details(pid)["notes"]) == 60


def test_delete_invalidates(cached: CachedOTCClient, client: OpenToCloseAPI) -> None:
    from open_to_close import NotFoundError

    pid = cached.create_property({"address": "1 Gone St"})["id"]
    cached.get_property(pid)
    assert len(cached.list_properties()) == 1
    cached.delete_property(pid)
    with pytest.raises(NotFoundError):
        cached.get_property(pid)
    assert cached.list_properties() == []


def test_use_cache_false_reads_the_api_and_refreshes(
    cached: CachedOTCClient, client: OpenToCloseAPI, counter: CallCounter
) -> None:
    pid = client.properties.create_property({"address": "1 Fresh St"})["id"]
    cached.get_property(pid)
    cached.get_property(pid, use_cache=False)
    cached.get_property(pid)
    assert counter.calls["GET /properties/{id}"] == 2


def test_ttl_expires_entries(
    cached: CachedOTCClient, client: OpenToCloseAPI, counter: CallCounter
) -> None:
    pid = client.properties.create_property({"address": "1 Brief St"})["id"]
    cached.get_property(pid, ttl=0.05)
    time.sleep(0.15)
    cached.get_property(pid)
    assert counter.calls["GET /properties/{id}"] == 2


def test_teams(cached: CachedOTCClient, client: OpenToCloseAPI, counter: CallCounter) -> None:
    tid = client.teams.create_team({"name": "Closers"})["id"]
    assert cached.get_team(tid)["name"] == "Closers"
    own = [t["id"] for t in client.teams.list_teams()][:-1]  # the account's own team
    assert [t["id"] for t in cached.list_teams()] == [*own, tid]
    cached.get_team(tid)
    cached.list_teams()
    client.teams.update_team(tid, {"name": "Openers"})
    assert cached.get_team(tid)["name"] == "Openers"
    assert cached.list_teams()[-1]["name"] == "Openers"
    assert counter.calls["GET /teams/{id}"] == 2


def test_bad_ttls_are_refused(client: OpenToCloseAPI, registry: CollectorRegistry) -> None:
    with pytest.raises(ValueError, match="default_ttl"):
        CachedOTCClient(client, default_ttl=0, registry=registry)
    with pytest.raises(ValueError, match="default_ttl"):
        CachedOTCClient(client, default_ttl=10**9, registry=registry)
    cached = CachedOTCClient(client, registry=registry)
    with pytest.raises(ValueError, match="ttl"):
        cached.list_properties(ttl=-1)
    with pytest.raises(ValueError, match="ttl"):
        cached.get_property(1, ttl=float("nan"))


def test_close_detaches_from_the_client(client: OpenToCloseAPI) -> None:
    with CachedOTCClient(client, registry=CollectorRegistry()) as cached:
        assert len(client.hooks) == 1
        assert "CachedOTCClient" in repr(cached) and "***" in repr(cached)
    assert client.hooks == []


def test_refuses_an_async_client() -> None:
    from open_to_close import AsyncOpenToCloseAPI

    with pytest.raises(TypeError, match="blocking OpenToCloseAPI"):
        CachedOTCClient(AsyncOpenToCloseAPI("k-1234", "http://127.0.0.1:9"))  # type: ignore[arg-type]
