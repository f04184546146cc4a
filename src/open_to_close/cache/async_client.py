"""``AsyncCachedOTCClient``: the asyncio twin of ``CachedOTCClient``, on the same cache core."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable, Mapping
from functools import partial
from types import TracebackType
from typing import Any, Generic, ParamSpec, Self, TypeVar

from ..client import AsyncOpenToCloseAPI
from ..resources._base import Id, Record
from ._core import MISS, keeps_nothing
from ._entries import details_key, generation_key, item_key, list_key, version_key
from .client import CacheFront, property_details, property_write

__all__ = ["AsyncCachedOTCClient"]

T = TypeVar("T")
P = ParamSpec("P")
_Loaded = tuple[Any, str]  # (value, its cached JSON text)
_Fetch = Callable[[], Coroutine[Any, Any, Any]]


class AsyncSingleFlight(Generic[T]):
    """For tasks: the first caller of a key starts one load; every caller awaits it.

    The load runs as its own task, so a caller that is cancelled (the first one included)
    neither cancels it for the others nor leaves them waiting.
    """

    def __init__(self) -> None:
        self._loads: dict[Hashable, asyncio.Task[T]] = {}

    async def do(self, key: Hashable, load: Callable[[], Coroutine[Any, Any, T]]) -> tuple[T, bool]:
        """``(result, shared)``: ``shared`` is True for callers that joined another's load."""
        task = self._loads.get(key)
        # A load left behind by an event loop that is gone is not joined.
        shared = task is not None and task.get_loop() is asyncio.get_running_loop()
        if task is None or not shared:
            task = asyncio.create_task(load())
            self._loads[key] = task
            task.add_done_callback(partial(self._finished, key))
        return await asyncio.shield(task), shared

    def _finished(self, key: Hashable, task: asyncio.Task[T]) -> None:
        if self._loads.get(key) is task:
            del self._loads[key]
        if not task.cancelled():
            task.exception()  # seen: a failure whose callers all left is not logged as lost


class AsyncCachedOTCClient(CacheFront[AsyncOpenToCloseAPI]):
    """An :class:`~open_to_close.AsyncOpenToCloseAPI` with a read cache in front.

    >>> cached = AsyncCachedOTCClient(aclient, RedisCache(redis_url))  # doctest: +SKIP
    >>> await cached.get_property(12)  # the API once, then the cache  # doctest: +SKIP

    The same cache, entries and invalidation as :class:`CachedOTCClient` (the two can share
    a backend). An in-process backend is called on the event loop; Redis and SQL backends,
    which block, are called in a worker thread, except for the invalidation a write makes,
    which the client's hook writes before the write returns (one round trip, bounded by
    the backend's timeout and its breaker). Tasks missing the same key at once share one
    API call, and its failure.
    """

    _wraps = (AsyncOpenToCloseAPI, "an AsyncOpenToCloseAPI")
    _twin = "for an OpenToCloseAPI, use open_to_close.cache.CachedOTCClient"
    _flight_type = AsyncSingleFlight
    _flight: AsyncSingleFlight[_Loaded]

    async def _cache(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        # A store in this process answers at once; any other is I/O that would block the
        # loop for a round trip (or a timeout, when it is down).
        if self.backend.returns_stored_objects:
            return fn(*args, **kwargs)
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _read(
        self,
        key: str,
        stamp_key: str,
        kind: type,
        ttl: float | None,
        use_cache: bool,
        fetch: _Fetch,
    ) -> Any:
        if keeps_nothing(ttl):
            return await fetch()
        core = self._core
        seconds = core.ttl(ttl)
        value, stamp = await self._cache(core.lookup, key, stamp_key, kind, use_cache)
        if value is not MISS:
            return value
        if stamp is None:  # the cache is down: straight to the API
            return await fetch()
        if not use_cache:
            value = await fetch()
            await self._cache(core.store, key, stamp, value, seconds)
            return value

        async def load() -> _Loaded:
            fetched = await fetch()
            return fetched, await self._cache(core.store, key, stamp, fetched, seconds)

        # Keyed by stamp too: a caller that comes after a write never joins a load that
        # left before it.
        (value, text), shared = await self._flight.do((key, stamp), load)
        return json.loads(text)["v"] if shared else value

    async def _record(
        self, resource: str, record_id: Id, ttl: float | None, use_cache: bool, fetch: _Fetch
    ) -> Record:
        key, stamp_key = item_key(resource, record_id), version_key(resource, record_id)
        result: Record = await self._read(key, stamp_key, dict, ttl, use_cache, fetch)
        return result

    async def _page(
        self,
        resource: str,
        params: Mapping[str, Any] | None,
        ttl: float | None,
        use_cache: bool,
        fetch: _Fetch,
    ) -> list[Record]:
        key, stamp_key = list_key(resource, params), generation_key(resource)
        result: list[Record] = await self._read(key, stamp_key, list, ttl, use_cache, fetch)
        return result

    # -- properties --------------------------------------------------------------------

    async def get_property(
        self, property_id: Id, use_cache: bool = True, ttl: float | None = None
    ) -> Record:
        """One property; ``use_cache=False`` reads the API and refreshes the cache."""
        fetch = partial(self.otc_client.properties.retrieve_property, property_id)
        return await self._record("properties", property_id, ttl, use_cache, fetch)

    async def list_properties(
        self,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        ttl: float | None = None,
    ) -> list[Record]:
        """One page of properties for ``params``; any property write makes it stale."""
        fetch = partial(self.otc_client.properties.list_properties, params)
        return await self._page("properties", params, ttl, use_cache, fetch)

    async def get_property_with_details(
        self, property_id: Id, use_cache: bool = True, ttl: float | None = None
    ) -> dict[str, Any]:
        """The property with all its ``notes``, ``tasks`` and ``documents`` (read at once),
        and ``cached_at``."""
        api = self.otc_client

        async def fetch() -> dict[str, Any]:
            prop, notes, tasks, documents = await asyncio.gather(
                api.properties.retrieve_property(property_id),
                _all(api.property_notes.iter_property_notes(property_id)),
                _all(api.property_tasks.iter_property_tasks(property_id)),
                _all(api.property_documents.iter_property_documents(property_id)),
            )
            return property_details(prop, notes, tasks, documents)

        key, stamp_key = (
            details_key("properties", property_id),
            version_key("properties", property_id),
        )
        result: dict[str, Any] = await self._read(key, stamp_key, dict, ttl, use_cache, fetch)
        return result

    async def create_property(self, data: Mapping[str, Any]) -> Record:
        return await self.otc_client.properties.create_property(data)

    async def update_property(self, property_id: Id, data: Mapping[str, Any]) -> Record:
        """Update through the API; the property, its details and property lists go stale."""
        return await self.otc_client.properties.update_property(property_id, data)

    async def delete_property(self, property_id: Id) -> Record:
        return await self.otc_client.properties.delete_property(property_id)

    async def invalidate_property(self, property_id: Id) -> None:
        """Make the cached property, its details and property lists stale: for a change made
        elsewhere (another system, seen in a webhook), which no hook of ours saw."""
        await self._cache(self._core.invalidate, property_write(property_id))

    # -- teams -------------------------------------------------------------------------

    async def get_team(
        self, team_id: Id, use_cache: bool = True, ttl: float | None = None
    ) -> Record:
        fetch = partial(self.otc_client.teams.retrieve_team, team_id)
        return await self._record("teams", team_id, ttl, use_cache, fetch)

    async def list_teams(
        self,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        ttl: float | None = None,
    ) -> list[Record]:
        fetch = partial(self.otc_client.teams.list_teams, params)
        return await self._page("teams", params, ttl, use_cache, fetch)

    # -- housekeeping ------------------------------------------------------------------

    async def clear(self) -> int:
        """Remove every entry of the backend; how many went."""
        return await self._cache(self._core.clear)

    async def close(self) -> None:
        """Detach from the client (which stays open) and close a backend made here."""
        self._detach()
        await self._cache(self._core.close_backend)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _all(records: AsyncIterator[Record]) -> list[Record]:
    return [record async for record in records]
