"""``CachedOTCClient``: reads from a cache, writes through the API, never stale after a write."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from prometheus_client import CollectorRegistry

from .._hooks import Call
from ..client import AsyncOpenToCloseAPI, OpenToCloseAPI
from ..resources._base import Id, Record, path_id
from ._core import DAY, MISS, CacheCore, Invalidator, keeps_nothing, utc_now
from ._entries import details_key, generation_key, item_key, list_key, version_key
from ._flight import SingleFlight
from .backend import CacheBackend

__all__ = ["CachedOTCClient"]

_Loaded = tuple[Any, str]  # (value, its cached JSON text)
_Client = TypeVar("_Client", bound=OpenToCloseAPI | AsyncOpenToCloseAPI)


def property_details(
    prop: Record, notes: list[Record], tasks: list[Record], documents: list[Record]
) -> dict[str, Any]:
    """What ``get_property_with_details`` returns (and caches)."""
    return {
        "property": prop,
        "notes": notes,
        "tasks": tasks,
        "documents": documents,
        "cached_at": utc_now(),
    }


def property_write(property_id: Id) -> Call:
    """The call a write to ``property_id`` would be: what invalidating it means."""
    return Call("PUT", "/properties/{id}", f"/properties/{path_id(property_id, 'property_id')}")


class CacheFront(Generic[_Client]):
    """What both cached clients hold: a client, a cache, and the hook keeping it fresh."""

    _wraps: ClassVar[tuple[type, str]]  # the client type, and how to name it in an error
    _twin: ClassVar[str]  # where the other kind of client goes
    _flight_type: ClassVar[type]  # single flight for threads, or for tasks
    _flight: Any

    def __init__(
        self,
        otc_client: _Client,
        backend: CacheBackend | None = None,
        default_ttl: float = 300,
        *,
        registry: CollectorRegistry | None = None,
        max_ttl: float = DAY,
        retry_interval: float = 5.0,
    ) -> None:
        wraps, named = self._wraps
        if not isinstance(otc_client, wraps):
            raise TypeError(
                f"{type(self).__name__} wraps {named}; got {type(otc_client).__name__} "
                f"({self._twin})"
            )
        self.otc_client: _Client = otc_client
        self._core = CacheCore(
            backend,
            default_ttl,
            registry=registry,
            max_ttl=max_ttl,
            retry_interval=retry_interval,
        )
        self._hook = Invalidator(self._core)
        otc_client.add_hook(self._hook)
        self._flight = self._flight_type()

    @property
    def backend(self) -> CacheBackend:
        return self._core.backend

    @property
    def default_ttl(self) -> float:
        return self._core.default_ttl

    def _detach(self) -> None:
        if self._hook in self.otc_client.hooks:
            self.otc_client.remove_hook(self._hook)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.otc_client!r}, {self.backend!r})"


class CachedOTCClient(CacheFront[OpenToCloseAPI]):
    """An :class:`~open_to_close.OpenToCloseAPI` with a read cache in front.

    >>> cached = CachedOTCClient(client, RedisCache("redis://localhost:6379/0"))  # doctest: +SKIP
    >>> cached.get_property(12)  # the API once, then the cache  # doctest: +SKIP

    Every write the wrapped client makes (through this object or directly on
    ``otc_client``: notes, tasks, documents included) invalidates what it changes, through
    a transport hook. Values are stored as JSON with a TTL (``default_ttl`` seconds unless
    a call says otherwise); callers missing the same key at once share one API call; when
    the backend is down, reads go to the API.
    """

    _wraps = (OpenToCloseAPI, "a blocking OpenToCloseAPI")
    _twin = "for an AsyncOpenToCloseAPI, use open_to_close.cache.AsyncCachedOTCClient"
    _flight_type = SingleFlight
    _flight: SingleFlight[_Loaded]

    def _read(
        self,
        key: str,
        stamp_key: str,
        kind: type,
        ttl: float | None,
        use_cache: bool,
        fetch: Callable[[], Any],
    ) -> Any:
        if keeps_nothing(ttl):
            return fetch()
        core = self._core
        seconds = core.ttl(ttl)
        value, stamp = core.lookup(key, stamp_key, kind, use_cache)
        if value is not MISS:
            return value
        if stamp is None:  # the cache is down: straight to the API
            return fetch()
        if not use_cache:
            value = fetch()
            core.store(key, stamp, value, seconds)
            return value

        def load() -> _Loaded:
            fetched = fetch()
            return fetched, core.store(key, stamp, fetched, seconds)

        # Keyed by stamp too: a caller that comes after a write never joins a flight that
        # left before it.
        (value, text), shared = self._flight.do((key, stamp), load)
        return json.loads(text)["v"] if shared else value

    def _record(
        self,
        resource: str,
        record_id: Id,
        ttl: float | None,
        use_cache: bool,
        fetch: Callable[[], Record],
    ) -> Record:
        key, stamp_key = item_key(resource, record_id), version_key(resource, record_id)
        result: Record = self._read(key, stamp_key, dict, ttl, use_cache, fetch)
        return result

    def _page(
        self,
        resource: str,
        params: Mapping[str, Any] | None,
        ttl: float | None,
        use_cache: bool,
        fetch: Callable[[], list[Record]],
    ) -> list[Record]:
        key, stamp_key = list_key(resource, params), generation_key(resource)
        result: list[Record] = self._read(key, stamp_key, list, ttl, use_cache, fetch)
        return result

    # -- properties --------------------------------------------------------------------

    def get_property(
        self, property_id: Id, use_cache: bool = True, ttl: float | None = None
    ) -> Record:
        """One property; ``use_cache=False`` reads the API and refreshes the cache."""
        fetch = self.otc_client.properties.retrieve_property
        return self._record("properties", property_id, ttl, use_cache, lambda: fetch(property_id))

    def list_properties(
        self,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        ttl: float | None = None,
    ) -> list[Record]:
        """One page of properties for ``params``; any property write makes it stale."""
        fetch = self.otc_client.properties.list_properties
        return self._page("properties", params, ttl, use_cache, lambda: fetch(params))

    def get_property_with_details(
        self, property_id: Id, use_cache: bool = True, ttl: float | None = None
    ) -> dict[str, Any]:
        """The property with all its ``notes``, ``tasks`` and ``documents``, and ``cached_at``."""

        def fetch() -> dict[str, Any]:
            api = self.otc_client
            return property_details(
                api.properties.retrieve_property(property_id),
                list(api.property_notes.iter_property_notes(property_id)),
                list(api.property_tasks.iter_property_tasks(property_id)),
                list(api.property_documents.iter_property_documents(property_id)),
            )

        result: dict[str, Any] = self._read(
            details_key("properties", property_id),
            version_key("properties", property_id),
            dict,
            ttl,
            use_cache,
            fetch,
        )
        return result

    def create_property(self, data: Mapping[str, Any]) -> Record:
        return self.otc_client.properties.create_property(data)

    def update_property(self, property_id: Id, data: Mapping[str, Any]) -> Record:
        """Update through the API; the property, its details and property lists go stale."""
        return self.otc_client.properties.update_property(property_id, data)

    def delete_property(self, property_id: Id) -> Record:
        return self.otc_client.properties.delete_property(property_id)

    def invalidate_property(self, property_id: Id) -> None:
        """Make the cached property, its details and property lists stale: for a change made
        elsewhere (another system, seen in a webhook), which no hook of ours saw."""
        self._core.invalidate(property_write(property_id))

    # -- teams (what CacheWarmer.warm_team_data fills) --------------------------------

    def get_team(self, team_id: Id, use_cache: bool = True, ttl: float | None = None) -> Record:
        fetch = self.otc_client.teams.retrieve_team
        return self._record("teams", team_id, ttl, use_cache, lambda: fetch(team_id))

    def list_teams(
        self,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        ttl: float | None = None,
    ) -> list[Record]:
        fetch = self.otc_client.teams.list_teams
        return self._page("teams", params, ttl, use_cache, lambda: fetch(params))

    # -- housekeeping ------------------------------------------------------------------

    def cache_listed(
        self, resource: str, fetch: Callable[[], list[Record]], ttl: float | None = None
    ) -> list[Record]:
        """Call ``fetch`` (a list of ``resource``: ``"teams"``, ...) and cache each record in
        it as :meth:`get_team` and the like would; returns the list (a ttl of 0 keeps none)."""
        if keeps_nothing(ttl):
            return fetch()
        generation = self._core.stamp(generation_key(resource))
        records = fetch()
        self._core.put_listed(resource, records, generation, self._core.ttl(ttl))
        return records

    def clear(self) -> int:
        """Remove every entry of the backend; how many went."""
        return self._core.clear()

    def close(self) -> None:
        """Detach from the client (which stays open) and close a backend made here."""
        self._detach()
        self._core.close_backend()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
