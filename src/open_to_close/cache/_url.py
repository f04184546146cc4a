"""A backend from a URL, for the CLI and configuration files."""

from __future__ import annotations

from .._urls import check_cache_url, is_redis_url
from .backend import CacheBackend
from .memory import MemoryCache

__all__ = ["backend_from_url"]


def backend_from_url(url: str | None, *, prefix: str = "otc-cache:") -> CacheBackend:
    """``memory`` (or None), ``redis://...`` / ``rediss://...`` / ``unix://...``, or a
    SQLAlchemy database URL (``sqlite:///.otc/cache.db``, ``postgresql://...``): the
    schemes of ``_urls.CACHE_SCHEMES``."""
    if url is None or check_cache_url(url) == "memory":
        return MemoryCache()
    if is_redis_url(url):
        from .redis_cache import RedisCache

        return RedisCache(url, prefix=prefix)
    from .sql_cache import SQLCache

    return SQLCache(url)
