"""The Redis cache: shared by every process that points at the same Redis.

Values are the JSON text the cached client writes (never pickle), so a value planted by
anyone else who can write to this Redis is, at worst, ignored. Keys carry a prefix,
``otc-cache:`` by default: a key space of the cache's own, disjoint from ``otc:``, where
webhook dedupe keys and Celery task state live (:func:`check_prefix` refuses a prefix that
overlaps it), so a clear deletes only cache entries. Nothing on the read or write path
lists keys (``KEYS``/``SCAN`` block or crawl a big Redis): only :meth:`RedisCache.clear`,
an admin operation, scans.

Give Redis a ``maxmemory-policy`` of ``volatile-ttl`` (or ``noeviction``): under
``allkeys-*`` policies Redis may evict the version stamps that tell a fresh entry from
a stale one before the entries themselves, and a stale entry could then be served.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from .._keyspace import DEFAULT_PREFIX, RESERVED_PREFIX, check_prefix
from .._optional import require
from .._redact import mask_url
from .backend import CacheBackend, CacheBackendError

__all__ = ["DEFAULT_PREFIX", "RESERVED_PREFIX", "RedisCache", "check_prefix"]


_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


class RedisCache(CacheBackend):
    """A cache in Redis (the ``redis`` extra).

    ``socket_timeout`` is short on purpose: a cache that is slow to answer is worse than no
    cache, and the cached client falls back to the API when this backend fails.
    """

    name = "redis"

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        prefix: str = DEFAULT_PREFIX,
        *,
        socket_timeout: float = 0.5,
        client: Any = None,
    ) -> None:
        self.prefix = check_prefix(prefix)
        self.url = mask_url(url)
        redis = require("redis", "redis", "RedisCache")
        if client is None:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # One quick reconnect (a restarted Redis drops pooled connections), no backoff:
            # the cached client answers from the API meanwhile.
            client = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry=Retry(NoBackoff(), 1),
            )
        self._redis = client
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise CacheBackendError(f"Redis at {self.url}: {exc}") from exc

    def get_many(self, keys: Sequence[str]) -> list[bytes | str | None]:
        prefix = self.prefix
        with self._translated():
            values: list[bytes | str | None] = self._redis.mget([prefix + key for key in keys])
        return values

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._translated():
            self._redis.set(self.prefix + key, value, px=max(1, int(ttl * 1000)))

    def write(self, sets: Mapping[str, str], ttl: float, deletes: Sequence[str] = ()) -> None:
        prefix, px = self.prefix, max(1, int(ttl * 1000))
        with self._translated():
            pipe = self._redis.pipeline(transaction=False)
            if deletes:
                pipe.delete(*(prefix + key for key in deletes))
            for key, value in sets.items():
                pipe.set(prefix + key, value, px=px)
            pipe.execute()

    def clear(self) -> int:
        pattern = _GLOB_SPECIAL.sub(r"\\\1", self.prefix) + "*"
        removed = 0
        with self._translated():
            batch: list[bytes] = []
            for key in self._redis.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) >= 500:
                    removed += self._redis.unlink(*batch)
                    batch.clear()
            if batch:
                removed += self._redis.unlink(*batch)
        return removed

    def cleanup(self) -> dict[str, int]:
        return {}  # Redis expires entries itself

    def ping(self) -> None:
        with self._translated():
            self._redis.ping()

    def close(self) -> None:
        self._redis.close()

    def __repr__(self) -> str:
        return f"RedisCache({self.url!r}, prefix={self.prefix!r})"
