"""Regression tests of issue 11's cache defects (each failed before its fix)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import redis
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI
from open_to_close.cache import (
    AsyncCachedOTCClient,
    CacheBackend,
    CachedOTCClient,
    DatabaseCachedClient,
    MemoryCache,
    RedisCache,
    SQLCache,
    _guard,
)
from open_to_close.cli import app
from open_to_close.exceptions import ConfigurationError
from open_to_close.service.config import load_service_config
from open_to_close.webhooks.dedupe import Claim, RedisDedupe

from ._proxy import TcpProxy
from .conftest import REDIS_URL, CallCounter


@pytest.mark.defect(2)
def test_a_cache_clear_leaves_dedupe_keys_and_dead_letters_alone() -> None:
    """Dedupe keys, a Celery dead letter and cache entries side by side in one Redis."""
    raw = redis.Redis.from_url(REDIS_URL)
    dedupe = RedisDedupe(REDIS_URL)  # its default key space
    event = f"evt-{uuid.uuid4().hex}"
    dead = f"otc:{uuid.uuid4().hex[:8]}:dead"  # where Celery state keeps dead letters
    cache = RedisCache(REDIS_URL)  # the cache's default key space
    try:
        assert dedupe.claim(event, 60) is Claim.NEW
        dedupe.complete(event)
        raw.hset(dead, "1", "a task that ran out of retries")
        cache.set("item:properties:1", "{}", 60)

        assert cache.clear() >= 1  # also what the guard runs after 10,000 pending keys
        assert cache.get_many(["item:properties:1"]) == [None]
        assert dedupe.claim(event, 60) is Claim.DONE  # a replay is still a duplicate
        assert raw.hget(dead, "1") == b"a task that ran out of retries"

        cache.set("item:properties:2", "{}", 60)
        result = CliRunner().invoke(app, ["cache", "clear", "--cache", REDIS_URL])
        assert result.exit_code == 0, result.output
        assert dedupe.claim(event, 60) is Claim.DONE
        assert raw.exists(dead)
    finally:
        raw.delete(dead, dedupe.prefix + event)
        for closable in (raw, dedupe, cache):
            closable.close()


@pytest.mark.defect(2)
def test_the_self_clear_after_too_many_pending_invalidations_spares_dedupe_keys(
    client: OpenToCloseAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_guard, "_MAX_PENDING", 2)  # 10,000 in production
    raw = redis.Redis.from_url(REDIS_URL)
    dedupe = RedisDedupe(REDIS_URL)
    event = f"evt-{uuid.uuid4().hex}"
    proxy = TcpProxy(("127.0.0.1", 6379))
    proxy.start()
    cached = CachedOTCClient(
        client,
        RedisCache(f"redis://127.0.0.1:{proxy.port}/0"),  # the default key space
        registry=CollectorRegistry(),
        retry_interval=0.05,
    )
    try:
        assert dedupe.claim(event, 60) is Claim.NEW
        dedupe.complete(event)
        pid = client.properties.create_property({"address": "1 Outage St"})["id"]
        cached.get_property(pid)
        proxy.stop()  # Redis unreachable: invalidations pile up past the limit
        for n in range(3):
            cached.update_property(pid, {"city": f"City {n}"})
        proxy.start()
        time.sleep(0.1)  # past retry_interval: the next read clears the cache first
        assert cached.get_property(pid)["city"] == "City 2"
        assert dedupe.claim(event, 60) is Claim.DONE  # the replay is still a duplicate
    finally:
        proxy.stop()
        raw.delete(dedupe.prefix + event)
        raw.close()
        dedupe.close()


@pytest.mark.defect(2)
@pytest.mark.parametrize("prefix", ["otc:", "otc:cache:", "otc", "o"])
def test_a_cache_prefix_overlapping_the_queue_key_space_is_refused(
    prefix: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="overlaps"):
        RedisCache(REDIS_URL, prefix=prefix)
    path = tmp_path / "otc.toml"
    path.write_text(f'[cache]\nurl = "{REDIS_URL}"\nprefix = "{prefix}"\n')
    with pytest.raises(ConfigurationError, match=r"cache\.prefix"):
        load_service_config(path)
    result = CliRunner().invoke(app, ["cache", "clear", "--cache", REDIS_URL, "--prefix", prefix])
    assert result.exit_code == 2 and "overlaps" in result.output


@pytest.mark.defect(14)
def test_spellings_of_one_id_share_one_entry(backend: CacheBackend, client: OpenToCloseAPI) -> None:
    cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    pid = client.properties.create_property({"address": "1 Old St"})["id"]
    padded = f"0{pid}"
    assert cached.get_property(padded)["address"] == "1 Old St"
    assert cached.get_property(str(pid))["address"] == "1 Old St"
    cached.update_property(pid, {"address": "2 New St"})
    assert cached.get_property(padded)["address"] == "2 New St"  # not the stale "01" entry
    client.properties.update_property(pid, {"address": "3 Third St"})  # behind the cache
    cached.invalidate_property(str(pid))  # as a webhook would, with the id as text
    assert cached.get_property(padded)["address"] == "3 Third St"


@pytest.mark.defect(24)
def test_a_ttl_of_zero_fetches_and_keeps_nothing(
    tmp_path: Path, client: OpenToCloseAPI, counter: CallCounter
) -> None:
    pid = client.properties.create_property({"address": "1 Zero St"})["id"]
    with DatabaseCachedClient(client, f"sqlite:///{tmp_path / 'zero.db'}") as db:
        assert db.get_property(pid, ttl_minutes=0)["address"] == "1 Zero St"
        assert db.list_properties(ttl_minutes=0)[0]["id"] == pid
        assert db.get_property_with_details(pid, ttl_minutes=0)["property"]["id"] == pid
        assert db.backend.get_many([f"item:properties:{pid}", f"details:properties:{pid}"]) == [
            None,
            None,
        ]
        client.properties.update_property(pid, {"address": "2 Fresh St"})  # behind the cache
        assert db.get_property(pid, ttl_minutes=0)["address"] == "2 Fresh St"
        assert counter.calls["GET /properties/{id}"] == 3
        assert db.cleanup_expired_cache() == {"expired_properties": 0, "expired_lists": 0}
    with pytest.raises(ValueError, match="ttl"):
        CachedOTCClient(client, MemoryCache()).get_property(pid, ttl=-1)  # below 0 is a mistake


@pytest.mark.defect(24)
async def test_a_ttl_of_zero_on_every_backend_and_the_async_client(
    backend: CacheBackend, client: OpenToCloseAPI, aclient: AsyncOpenToCloseAPI
) -> None:
    pid = client.properties.create_property({"address": "1 Zero St"})["id"]
    cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    assert cached.get_property(pid, ttl=0)["address"] == "1 Zero St"
    assert cached.get_team(client.teams.list_teams()[0]["id"], ttl=0)
    assert cached.cache_listed("teams", client.teams.list_teams, ttl=0)
    acached = AsyncCachedOTCClient(aclient, backend, registry=CollectorRegistry())
    assert (await acached.get_property(pid, ttl=0))["address"] == "1 Zero St"
    assert backend.get_many([f"item:properties:{pid}"]) == [None]


@pytest.mark.defect(22)
@pytest.mark.parametrize("command", ["clear", "cleanup"])
def test_a_typoed_sqlite_cache_is_refused_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OTC_CACHE_URL", raising=False)
    runner = CliRunner()
    for args in (["--cache", "sqlite:///nothere.db"], []):  # a typo; the default file absent
        result = runner.invoke(app, ["cache", command, *args])
        assert result.exit_code == 2, result.output
        assert "no such SQLite file" in result.output
    assert list(tmp_path.iterdir()) == []  # nothing created
    url = f"sqlite:///{tmp_path / 'there.db'}"
    SQLCache(url).close()  # an existing (empty) cache is cleared as before
    result = runner.invoke(app, ["cache", command, "--cache", url])
    assert result.exit_code == 0, result.output
