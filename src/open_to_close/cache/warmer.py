"""``CacheWarmer``: fill a cache before the first user asks (at start-up, on a schedule)."""

from __future__ import annotations

from itertools import islice

from .._redact import get_logger
from ..resources._base import Record
from .client import CachedOTCClient

__all__ = ["CacheWarmer"]

logger = get_logger("open_to_close.cache")


class CacheWarmer:
    """Reads what users will ask for through a :class:`CachedOTCClient`, refreshing it.

    Everything is read with ``iter_*``, at the page size the API serves (50 properties a
    page on the live API, whatever was asked), and each listed record is cached as
    ``get_property``/``get_team`` would: no request per record, which matters at the live
    API's one request a second.
    """

    def __init__(self, cached_client: CachedOTCClient) -> None:
        self.cached_client = cached_client

    def warm_popular_properties(self, limit: int = 50, ttl: float | None = None) -> int:
        """Cache the first ``limit`` active properties (each, as :meth:`get_property`
        reads it); how many were cached. The filter is applied by the client (the live API
        has none), so this reads pages until ``limit`` active ones are found or the
        properties end."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of at least 1; got {limit!r}")
        api = self.cached_client.otc_client

        def fetch() -> list[Record]:
            return list(islice(api.properties.iter_properties({"status": "active"}), limit))

        warmed = self.cached_client.cache_listed("properties", fetch, ttl)
        count = len(warmed)
        logger.info("warmed the cache with %d properties", count, extra={"warmed": count})
        return count

    def warm_team_data(self, ttl: float = 3600) -> int:
        """Cache every team (read by :meth:`CachedOTCClient.get_team`) for ``ttl`` seconds."""
        api = self.cached_client.otc_client
        teams = self.cached_client.cache_listed("teams", lambda: list(api.teams.iter_teams()), ttl)
        logger.info("warmed the cache with %d teams", len(teams), extra={"warmed": len(teams)})
        return len(teams)
