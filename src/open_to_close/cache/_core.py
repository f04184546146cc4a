"""What the sync and async cached clients share: TTLs, lookups, stores, invalidation."""

from __future__ import annotations

import marshal
import math
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import unquote

from prometheus_client import CollectorRegistry

from .._hooks import Call, Hook
from .._redact import get_logger
from ..exceptions import OpenToCloseAPIError
from ..monitoring.metrics import get_metrics
from ._entries import (
    Malformed,
    decode,
    details_key,
    encode,
    generation_key,
    is_flat,
    item_key,
    new_token,
    stamp_of,
    version_key,
)
from ._guard import Guard
from .backend import CacheBackend
from .memory import MemoryCache

logger = get_logger("open_to_close.cache")

MISS: Final = object()
_DECODED_MAX = 4096
# ... and at most this much stored text: a live property is ~65 KB of JSON (~225 KB once
# decoded), a page of 50 of them ~3 MB.
_DECODED_TEXT = 16 * 2**20
DAY = 86_400.0


def utc_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def keeps_nothing(ttl: object) -> bool:
    """A ttl of 0: fetch and don't keep (as Django's and requests-cache's caches read it)."""
    return type(ttl) in (int, float) and ttl == 0


def check_ttl(ttl: object, name: str, maximum: float) -> float:
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= maximum:
        raise ValueError(
            f"{name} must be a number of seconds above 0 and at most {maximum:g}; got {ttl!r}"
        )
    if not math.isfinite(ttl):
        raise ValueError(f"{name} must be finite; got {ttl!r}")
    return float(ttl)


class CacheCore:
    """The cache side of a cached client, bound to one backend."""

    def __init__(
        self,
        backend: CacheBackend | None,
        default_ttl: float,
        *,
        registry: CollectorRegistry | None,
        max_ttl: float,
        retry_interval: float,
    ) -> None:
        self.max_ttl = check_ttl(max_ttl, "max_ttl", 30 * DAY)
        self.default_ttl = check_ttl(default_ttl, "default_ttl", self.max_ttl)
        self.backend = backend if backend is not None else MemoryCache()
        self._owns_backend = backend is None
        metrics = get_metrics(registry)
        name = self.backend.name
        self._hits = metrics.cache_hits.labels(name)
        self._misses = metrics.cache_misses.labels(name)
        self._malformed = metrics.cache_errors.labels(name, "malformed")
        self._guard = Guard(self.backend, metrics, retry_interval)
        # Decoded entries of an in-process backend, by key: (stored text, stamp, value,
        # whether the value holds no nested dict or list, so a shallow copy will do).
        # The text is compared by identity: the same object means the same entry.
        self._decoded: dict[str, tuple[bytes | str, str, Any, bool]] | None = (
            {} if self.backend.returns_stored_objects else None
        )
        self._decoded_text = 0  # the length of the texts held in _decoded
        # Version tokens outlive every entry stamped with them (see _entries).
        self._version_ttl = 2 * self.max_ttl

    @property
    def cache_type(self) -> str:
        return self.backend.name

    def ttl(self, ttl: float | None) -> float:
        return self.default_ttl if ttl is None else check_ttl(ttl, "ttl", self.max_ttl)

    def lookup(
        self, key: str, stamp_key: str, kind: type, use_cache: bool
    ) -> tuple[Any, str | None]:
        """``(value or MISS, stamp)``; the stamp is None when the cache can't be used."""
        raws = self._guard.get_many((stamp_key, key) if use_cache else (stamp_key,))
        if raws is None:
            if use_cache:
                self._misses.inc()
            return MISS, None
        stamp = stamp_of(raws[0])
        if not use_cache:
            return MISS, stamp
        raw = raws[1]
        if raw is not None:
            try:
                entry_stamp, value = self._decode(key, raw, kind)
            except Malformed as exc:
                self._malformed.inc()
                logger.warning(
                    "ignored a value in the %s cache under %r that this package did not "
                    "write (%s); reading from the API",
                    self.cache_type,
                    key,
                    exc,
                    extra={"cache_type": self.cache_type},
                )
            else:
                if entry_stamp == stamp:
                    self._hits.inc()
                    return value, stamp
        self._misses.inc()
        return MISS, stamp

    def _decode(self, key: str, raw: bytes | str, kind: type) -> tuple[str, Any]:
        decoded = self._decoded
        if decoded is None:
            return decode(raw, kind)
        known = decoded.get(key)
        if known is None or known[0] is not raw:
            stamp, value = decode(raw, kind)
            if known is not None and decoded.pop(key, None) is known:
                self._decoded_text -= len(known[0])
            if len(decoded) >= _DECODED_MAX or self._decoded_text + len(raw) > _DECODED_TEXT:
                decoded.clear()
                self._decoded_text = 0
            # A nested value is kept marshalled: each read gets a fresh copy from one C
            # call, twice as fast as copying a live record's 497 field values in Python,
            # and a third of the memory. Only bytes made here from decoded JSON are ever
            # loaded; what the backend holds is JSON, and only JSON is parsed from it.
            flat = is_flat(value)
            known = (raw, stamp, value if flat else marshal.dumps(value), flat)
            if len(raw) <= _DECODED_TEXT // 4:  # a huge value is decoded on each read
                decoded[key] = known
                self._decoded_text += len(raw)
            else:
                return stamp, value
        held = known[2]
        if known[3]:
            return known[1], held.copy()
        return known[1], marshal.loads(held)  # noqa: S302 - our own bytes, made above

    def store(self, key: str, stamp: str, value: Any, ttl: float) -> str:
        text = encode(stamp, value)
        self._guard.set(key, text, ttl)
        return text

    def stamp(self, stamp_key: str) -> str | None:
        """The current token of a version key; None when the cache can't be used."""
        raws = self._guard.get_many((stamp_key,))
        return None if raws is None else stamp_of(raws[0])

    def put_listed(
        self, resource: str, records: list[dict[str, Any]], generation: str | None, ttl: float
    ) -> int:
        """Cache each record of a list read while the resource's generation was
        ``generation``; nothing if any record of the resource was written since (every
        write bumps the generation), since a record could then be older than the write."""
        if generation is None:
            return 0
        keys = [generation_key(resource)] + [version_key(resource, r["id"]) for r in records]
        raws = self._guard.get_many(keys)
        if raws is None or stamp_of(raws[0]) != generation:
            return 0
        for record, raw in zip(records, raws[1:], strict=True):
            self.store(item_key(resource, record["id"]), stamp_of(raw), record, ttl)
        return len(records)

    def invalidate(self, call: Call) -> None:
        """Make stale whatever a write call may have changed: its record, the record's
        details (a write under a property changes them) and the lists of its resource."""
        template = call.template.strip("/").split("/")
        path = call.path.strip("/").split("/")
        resource = template[0]
        token = new_token()
        sets = {generation_key(resource): token}
        deletes: list[str] = []
        if len(template) >= 2 and len(path) == len(template) and template[1].startswith("{"):
            record_id = unquote(path[1])
            sets[version_key(resource, record_id)] = token
            deletes += (item_key(resource, record_id), details_key(resource, record_id))
            if len(template) > 2:  # a note, task, ...: the parent's lists did not change
                del sets[generation_key(resource)]
        self._guard.invalidate(sets, self._version_ttl, deletes)

    def clear(self) -> int:
        return self.backend.clear()

    def close_backend(self) -> None:
        if self._owns_backend:
            self.backend.close()


class Invalidator(Hook):
    """Invalidates on every write the client makes (through the cached client or not)."""

    def __init__(self, core: CacheCore) -> None:
        self.core = core

    def on_response(self, call: Call, status: int, elapsed: float) -> None:
        if call.method != "GET":
            self.core.invalidate(call)

    def on_error(self, call: Call, error: OpenToCloseAPIError, elapsed: float) -> None:
        if call.method != "GET":  # it may have been applied before the answer was lost
            self.core.invalidate(call)

    def on_cancel(self, call: Call) -> None:
        if call.method != "GET":  # a write cut short may still be applied by the server
            self.core.invalidate(call)
