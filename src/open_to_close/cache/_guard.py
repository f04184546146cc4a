"""A backend behind a breaker: when the cache fails, reads go to the API instead.

After a failure the backend is left alone for ``retry_interval`` seconds (a dead Redis
costs a refused connection or a timeout per call otherwise). The outage is logged once
when it starts and once when it ends, and every operation it affects is counted in
``otc_cache_errors_total{reason="unavailable"}``.

An invalidation that could not be written is kept and written first when the backend
answers again, before anything is read from it: a write made through this process is
never followed by a stale read from this process, even across an outage. (Past
``_MAX_PENDING`` such keys, the whole cache is cleared instead when it is back.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

from .._redact import get_logger
from ..monitoring.metrics import Metrics
from .backend import CacheBackend, CacheBackendError

logger = get_logger("open_to_close.cache")

_MAX_PENDING = 10_000


class Guard:
    def __init__(self, backend: CacheBackend, metrics: Metrics, retry_interval: float) -> None:
        self.backend = backend
        self.retry_interval = retry_interval
        self._unavailable = metrics.cache_errors.labels(backend.name, "unavailable")
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False
        self._pending_sets: dict[str, str] = {}
        self._pending_deletes: set[str] = set()
        self._pending_ttl = 0.0
        self._clear_on_recovery = False

    @property
    def available(self) -> bool:
        return not self._down

    def _owes(self) -> bool:
        return bool(self._pending_sets or self._pending_deletes or self._clear_on_recovery)

    def _ready(self) -> bool:
        """False while the breaker is open, or while old invalidations can't be written."""
        if self._down and time.monotonic() < self._down_until:
            self._unavailable.inc()
            return False
        if self._clear_on_recovery:
            try:
                self.backend.clear()
            except CacheBackendError as exc:
                self._failed(exc)
                return False
            self._clear_on_recovery = False
        if self._pending_sets or self._pending_deletes:
            with self._lock:
                sets, deletes = dict(self._pending_sets), list(self._pending_deletes)
                ttl = self._pending_ttl
            try:
                self.backend.write(sets, ttl, deletes)
            except CacheBackendError as exc:
                self._failed(exc)
                return False
            with self._lock:
                for key in sets:
                    if self._pending_sets.get(key) == sets[key]:
                        del self._pending_sets[key]
                self._pending_deletes.difference_update(deletes)
        return True

    def _failed(self, exc: CacheBackendError) -> None:
        self._unavailable.inc()
        with self._lock:
            self._down_until = time.monotonic() + self.retry_interval
            was_down, self._down = self._down, True
        if not was_down:
            logger.warning(
                "cache %s unavailable, reading from the API for the next %.0fs: %s",
                self.backend.name,
                self.retry_interval,
                exc,
                extra={"cache_type": self.backend.name},
            )

    def _succeeded(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.warning(
                    "cache %s reachable again",
                    self.backend.name,
                    extra={"cache_type": self.backend.name},
                )

    def get_many(self, keys: Sequence[str]) -> list[bytes | str | None] | None:
        """The values, or None when the cache can't be used (read from the API)."""
        if (self._down or self._owes()) and not self._ready():
            return None
        try:
            values = self.backend.get_many(keys)
        except CacheBackendError as exc:
            self._failed(exc)
            return None
        if self._down:
            self._succeeded()
        return values

    def set(self, key: str, value: str, ttl: float) -> None:
        if (self._down or self._owes()) and not self._ready():
            return
        try:
            self.backend.set(key, value, ttl)
        except CacheBackendError as exc:
            self._failed(exc)

    def invalidate(self, sets: Mapping[str, str], ttl: float, deletes: Sequence[str]) -> None:
        """Write an invalidation now, or keep it until the backend answers again."""
        if not self._down or self._ready():
            try:
                self.backend.write(sets, ttl, deletes)
                return
            except CacheBackendError as exc:
                self._failed(exc)
        with self._lock:
            self._pending_sets.update(sets)
            self._pending_deletes.update(deletes)
            self._pending_ttl = max(self._pending_ttl, ttl)
            if len(self._pending_sets) + len(self._pending_deletes) > _MAX_PENDING:
                self._pending_sets.clear()
                self._pending_deletes.clear()
                self._clear_on_recovery = True
