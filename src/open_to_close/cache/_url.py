"""A backend from a URL, for the CLI and configuration files."""

from __future__ import annotations

from ..exceptions import ConfigurationError
from .backend import CacheBackend
from .memory import MemoryCache

__all__ = ["backend_from_url"]


def backend_from_url(url: str | None, *, prefix: str = "otc-cache:") -> CacheBackend:
    """``memory`` (or None), ``redis://...`` / ``rediss://...``, or a SQLAlchemy database URL
    (``sqlite:///otc_cache.db``, ``postgresql://...``)."""
    if url is None or url == "memory":
        return MemoryCache()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("redis", "rediss", "unix"):
        from .redis_cache import RedisCache

        return RedisCache(url, prefix=prefix)
    if scheme.split("+", 1)[0] in ("sqlite", "postgresql", "postgres", "mysql", "mariadb"):
        from .sql_cache import SQLCache

        return SQLCache(url)
    raise ConfigurationError(
        "a cache URL is 'memory', 'redis://host:6379/0', or a database URL such as "
        f"'sqlite:///otc_cache.db' or 'postgresql://user@host/db'; got {url!r}"
    )
