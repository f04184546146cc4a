"""``CacheWarmer``: fill a cache before the first user asks (at start-up, on a schedule)."""

from __future__ import annotations

import logging

from .client import CachedOTCClient

__all__ = ["CacheWarmer"]

logger = logging.getLogger("open_to_close.cache")


class CacheWarmer:
    """Reads what users will ask for through a :class:`CachedOTCClient`, refreshing it."""

    def __init__(self, cached_client: CachedOTCClient) -> None:
        self.cached_client = cached_client

    def warm_popular_properties(self, limit: int = 50) -> int:
        """Cache the first ``limit`` active properties and that list; how many were cached."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of at least 1; got {limit!r}")
        cached = self.cached_client
        active = cached.list_properties({"status": "active", "limit": limit}, use_cache=False)
        for prop in active[:limit]:
            cached.get_property(prop["id"], use_cache=False)
        count = len(active[:limit])
        logger.info("warmed the cache with %d properties", count, extra={"warmed": count})
        return count

    def warm_team_data(self, ttl: float = 3600) -> int:
        """Cache every team (read by :meth:`CachedOTCClient.get_team`) for ``ttl`` seconds."""
        api = self.cached_client.otc_client
        teams = self.cached_client.cache_listed("teams", lambda: list(api.teams.iter_teams()), ttl)
        logger.info("warmed the cache with %d teams", len(teams), extra={"warmed": len(teams)})
        return len(teams)
