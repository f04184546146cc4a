"""Read caching for the Open To Close API: memory, Redis or SQL, never stale after a write.

>>> from open_to_close.cache import CachedOTCClient, RedisCache
>>> cached = CachedOTCClient(client, RedisCache("redis://localhost:6379/0"))  # doctest: +SKIP

Values are JSON (a value planted in a shared cache is never run as code); each write the
client makes invalidates what it changed; callers missing the same key share one API
call; a backend that is down sends reads to the API. See ``docs/cache.md``.
"""

from ._url import backend_from_url
from .async_client import AsyncCachedOTCClient
from .backend import CacheBackend, CacheBackendError
from .client import CachedOTCClient
from .database import DatabaseCachedClient
from .memory import MemoryCache
from .redis_cache import RedisCache
from .sql_cache import SQLCache
from .warmer import CacheWarmer

__all__ = [
    "AsyncCachedOTCClient",
    "CacheBackend",
    "CacheBackendError",
    "CacheWarmer",
    "CachedOTCClient",
    "DatabaseCachedClient",
    "MemoryCache",
    "RedisCache",
    "SQLCache",
    "backend_from_url",
]
