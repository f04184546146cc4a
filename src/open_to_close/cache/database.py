"""``DatabaseCachedClient``: the guide's SQL cache, durable across restarts.

The guide's version held one SQLAlchemy session for the object's lifetime, which breaks
as soon as two threads use it; here each operation borrows a pooled connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from prometheus_client import CollectorRegistry

from .._urls import CACHE_URL
from ..client import OpenToCloseAPI
from ..resources._base import Id, Record
from .client import CachedOTCClient
from .sql_cache import SQLCache

__all__ = ["DatabaseCachedClient", "expired_summary"]


def expired_summary(removed: dict[str, int]) -> dict[str, int]:
    """What :meth:`~open_to_close.cache.CacheBackend.cleanup` removed, in the guide's terms."""
    return {
        "expired_properties": removed.get("item:properties", 0)
        + removed.get("details:properties", 0),
        "expired_lists": sum(n for kind, n in removed.items() if kind.startswith("list:")),
    }


class DatabaseCachedClient:
    """A :class:`CachedOTCClient` on a :class:`SQLCache`, with TTLs in minutes.

    ``ttl_minutes=0`` reads the API and keeps nothing.

    ``db_url``: SQLite by default (``.otc/cache.db`` in the working directory), PostgreSQL
    by URL.
    """

    def __init__(
        self,
        otc_client: OpenToCloseAPI,
        db_url: str = CACHE_URL,
        *,
        table: str = "otc_cache",
        schema: str | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.otc_client = otc_client
        self.backend = SQLCache(db_url, table=table, schema=schema)
        self.cached = CachedOTCClient(otc_client, self.backend, default_ttl=600, registry=registry)

    def get_property(
        self, property_id: Id, use_cache: bool = True, ttl_minutes: float = 10
    ) -> Record:
        return self.cached.get_property(property_id, use_cache, ttl=ttl_minutes * 60)

    def list_properties(
        self,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        ttl_minutes: float = 5,
    ) -> list[Record]:
        return self.cached.list_properties(params, use_cache, ttl=ttl_minutes * 60)

    def get_property_with_details(
        self, property_id: Id, use_cache: bool = True, ttl_minutes: float = 5
    ) -> dict[str, Any]:
        return self.cached.get_property_with_details(property_id, use_cache, ttl=ttl_minutes * 60)

    def update_property(self, property_id: Id, data: Mapping[str, Any]) -> Record:
        return self.cached.update_property(property_id, data)

    def cleanup_expired_cache(self) -> dict[str, int]:
        """Delete expired rows: ``{"expired_properties": n, "expired_lists": m}``."""
        removed = self.backend.cleanup()
        return {
            "expired_properties": sum(
                n
                for kind, n in removed.items()
                if kind in ("item:properties", "details:properties")
            ),
            "expired_lists": sum(n for kind, n in removed.items() if kind.startswith("list:")),
        }

    def close(self) -> None:
        self.cached.close()
        self.backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
