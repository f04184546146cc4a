"""A value someone else wrote into the shared Redis is never run, nor trusted."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest
import redis
from prometheus_client import CollectorRegistry

from open_to_close import OpenToCloseAPI
from open_to_close.cache import CachedOTCClient, RedisCache

from .conftest import REDIS_URL, CallCounter


class Payload:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


@pytest.mark.parametrize(
    "planted",
    [
        "pickle",
        b"\x80\x04not even a whole pickle",
        b"\xff\xfe binary junk",
        b'{"s": "", "v": "a string, not a record"}',
        b'{"s": "", "v": {"id": 1}, "extra": true}',
        b"[1, 2, 3]",
        b"",
    ],
)
def test_planted_value_is_ignored_and_replaced(
    client: OpenToCloseAPI,
    counter: CallCounter,
    redis_prefix: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    planted: object,
) -> None:
    registry = CollectorRegistry()
    cached = CachedOTCClient(client, RedisCache(REDIS_URL, prefix=redis_prefix), registry=registry)
    pid = client.properties.create_property({"address": "1 Trust St"})["id"]
    marker = tmp_path / "pwned"
    raw = pickle.dumps(Payload(marker)) if planted == "pickle" else planted
    attacker = redis.Redis.from_url(REDIS_URL)
    attacker.set(f"{redis_prefix}item:properties:{pid}", raw)  # type: ignore[arg-type]

    with caplog.at_level(logging.WARNING, logger="open_to_close.cache"):
        record = cached.get_property(pid)
    assert not marker.exists()
    assert record["address"] == "1 Trust St"
    assert counter.calls["GET /properties/{id}"] == 1
    labels = {"cache_type": "redis", "reason": "malformed"}
    assert registry.get_sample_value("otc_cache_errors_total", labels) == 1
    assert any("did not write" in r.getMessage() for r in caplog.records)
    # The API's answer replaced the planted value: the next read is an ordinary hit.
    assert cached.get_property(pid) == record
    assert counter.calls["GET /properties/{id}"] == 1
    stored = attacker.get(f"{redis_prefix}item:properties:{pid}")
    assert stored is not None and stored.startswith(b'{"s":')
    attacker.close()
