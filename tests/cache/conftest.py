"""Backends on the real Redis and PostgreSQL of this machine, each test in its own keys."""

from __future__ import annotations

import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry

from open_to_close import Call, Hook, OpenToCloseAPI
from open_to_close.cache import CacheBackend, MemoryCache, RedisCache, SQLCache

REDIS_URL = "redis://127.0.0.1:6379/0"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CallCounter(Hook):
    """API calls the client sent, by ``METHOD template``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def on_request(self, call: Call) -> None:
        self.calls[f"{call.method} {call.template}"] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def counter(client: OpenToCloseAPI) -> CallCounter:
    hook = CallCounter()
    client.add_hook(hook)
    return hook


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"otc-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    RedisCache(REDIS_URL, prefix=prefix).clear()


@pytest.fixture
def pg_table() -> Iterator[str]:
    table = f"otc_cache_test_{uuid.uuid4().hex[:12]}"
    yield table
    engine = sa.create_engine(PG_URL.replace("postgresql:", "postgresql+psycopg:"))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


@pytest.fixture(params=["memory", "redis", "sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, redis_prefix: str, pg_table: str
) -> Iterator[CacheBackend]:
    made: CacheBackend
    if request.param == "memory":
        made = MemoryCache()
    elif request.param == "redis":
        made = RedisCache(REDIS_URL, prefix=redis_prefix)
    elif request.param == "sqlite":
        made = SQLCache(f"sqlite:///{tmp_path / 'cache.db'}")
    else:
        made = SQLCache(PG_URL, table=pg_table)
    yield made
    made.close()
