"""Every backend keeps text under keys with a TTL, and cleans up after itself."""

from __future__ import annotations

import time

import pytest

from open_to_close.cache import CacheBackend, MemoryCache, RedisCache, SQLCache, backend_from_url
from open_to_close.exceptions import ConfigurationError

from .conftest import REDIS_URL


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def test_set_get_many_and_missing(backend: CacheBackend) -> None:
    backend.set("item:properties:1", '{"a":1}', 60)
    got = backend.get_many(["item:properties:1", "item:properties:2"])
    assert [_text(v) for v in got] == ['{"a":1}', None]
    backend.set("item:properties:1", '{"a":2}', 60)  # overwrite
    assert _text(backend.get_many(["item:properties:1"])[0]) == '{"a":2}'


def test_entries_expire(backend: CacheBackend) -> None:
    backend.set("item:properties:1", "x", 0.05)
    backend.set("item:properties:2", "y", 60)
    time.sleep(0.15)
    assert [_text(v) for v in backend.get_many(["item:properties:1", "item:properties:2"])] == [
        None,
        "y",
    ]


def test_write_sets_and_deletes_in_one_go(backend: CacheBackend) -> None:
    backend.set("item:properties:1", "old", 60)
    backend.write({"ver:properties:1": "t1", "gen:properties": "t1"}, 60, ["item:properties:1"])
    got = backend.get_many(["ver:properties:1", "gen:properties", "item:properties:1"])
    assert [_text(v) for v in got] == ["t1", "t1", None]


def test_clear_and_cleanup(backend: CacheBackend) -> None:
    backend.set("item:properties:1", "a", 0.05)
    backend.set("details:properties:1", "b", 0.05)
    backend.set("list:properties:abc", "c", 0.05)
    backend.set("item:properties:2", "d", 60)
    time.sleep(0.15)
    removed = backend.cleanup()
    if backend.name != "redis":  # Redis expires entries itself
        assert removed == {"item:properties": 1, "details:properties": 1, "list:properties": 1}
    backend.ping()
    assert backend.clear() >= 1
    assert backend.get_many(["item:properties:2"]) == [None]


def test_redis_clear_touches_only_its_prefix(redis_prefix: str) -> None:
    mine = RedisCache(REDIS_URL, prefix=redis_prefix)
    other = RedisCache(REDIS_URL, prefix=redis_prefix + "other[*]:")
    try:
        mine.set("k", "1", 60)
        other.set("k", "2", 60)
        # Unescaped, "other[*]:" would be a glob class matching neither key.
        assert other.clear() == 1
        assert _text(mine.get_many(["k"])[0]) == "1"
    finally:
        other.clear()
        mine.close()
        other.close()


def test_memory_cache_is_bounded_and_drops_soonest_expiring_first() -> None:
    cache = MemoryCache(max_entries=10)
    cache.set("ver:properties:1", "t", 1000)  # long-lived: survives the squeeze
    for n in range(20):
        cache.set(f"item:properties:{n}", "v", 10 + n)
    assert len(cache) <= 10
    assert cache.get_many(["ver:properties:1"]) == ["t"]
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCache(max_entries=0)


def test_memory_cache_is_bounded_in_bytes_too() -> None:
    """Live properties are ~65 KB of JSON each: a count alone would let 10,000 of them
    take 650 MB."""
    record = "x" * 65_000
    cache = MemoryCache(max_bytes=1_000_000)
    cache.set("ver:properties:1", "t", 1000)
    for n in range(40):
        cache.set(f"item:properties:{n}", record, 10 + n)
    assert 0 < len(cache) <= 16
    assert cache.get_many(["ver:properties:1", "item:properties:39"]) == ["t", record]
    assert cache.get_many(["item:properties:0"]) == [None]
    cache.write({"item:properties:39": "small"}, 60, deletes=["item:properties:38"])
    assert cache.clear() > 0 and len(cache) == 0
    with pytest.raises(ValueError, match="max_bytes"):
        MemoryCache(max_bytes=0)


def test_repr_hides_passwords() -> None:
    cache = RedisCache("redis://:s3cret-pass@127.0.0.1:6379/0", prefix="otc-repr:")
    assert "s3cret-pass" not in repr(cache)
    sql = SQLCache("sqlite://")
    assert "sqlite" in repr(sql)


def test_backend_from_url(tmp_path: object) -> None:
    assert isinstance(backend_from_url(None), MemoryCache)
    assert isinstance(backend_from_url("memory"), MemoryCache)
    assert isinstance(backend_from_url(REDIS_URL, prefix="otc-x:"), RedisCache)
    assert isinstance(backend_from_url("sqlite://"), SQLCache)
    with pytest.raises(ConfigurationError, match="cache URL"):
        backend_from_url("ftp://example.com")
    with pytest.raises(ConfigurationError, match="db_url"):
        SQLCache("sqlite:/\x00bad::")
    with pytest.raises(ValueError, match="prefix"):
        RedisCache(REDIS_URL, prefix="")
