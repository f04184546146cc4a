"""The in-process cache: a dict with expiry, bounded in size."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence

from .backend import CacheBackend, key_kind

__all__ = ["MemoryCache"]


class MemoryCache(CacheBackend):
    """A per-process cache (the default). Values are kept as the JSON text the cached
    client writes, so every read returns a fresh object that callers may change freely.

    Past ``max_entries`` the entries closest to expiry are dropped first; the version
    stamps that guard against stale reads live longest, so they go last.
    """

    name = "memory"
    returns_stored_objects = True

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1; got {max_entries}")
        self.max_entries = max_entries
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> list[bytes | str | None]:
        now = time.monotonic()
        found: list[bytes | str | None] = []
        with self._lock:
            for key in keys:
                entry = self._data.get(key)
                found.append(entry[0] if entry is not None and entry[1] > now else None)
        return found

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl)
            if len(self._data) > self.max_entries:
                self._shrink()

    def write(self, sets: Mapping[str, str], ttl: float, deletes: Sequence[str] = ()) -> None:
        expires = time.monotonic() + ttl
        with self._lock:
            for key in deletes:
                self._data.pop(key, None)
            for key, value in sets.items():
                self._data[key] = (value, expires)
            if len(self._data) > self.max_entries:
                self._shrink()

    def _shrink(self) -> None:
        """Drop expired entries, then the soonest to expire, down to 90 % of the bound."""
        self._purge_expired()
        excess = len(self._data) - self.max_entries * 9 // 10
        if excess > 0:
            by_expiry = sorted(self._data.items(), key=lambda item: item[1][1])
            for key, _ in by_expiry[:excess]:
                del self._data[key]

    def _purge_expired(self) -> Counter[str]:
        now = time.monotonic()
        expired = [key for key, (_, expires) in self._data.items() if expires <= now]
        for key in expired:
            del self._data[key]
        return Counter(key_kind(key) for key in expired)

    def clear(self) -> int:
        with self._lock:
            count = len(self._data)
            self._data.clear()
        return count

    def cleanup(self) -> dict[str, int]:
        with self._lock:
            return dict(self._purge_expired())

    def ping(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"MemoryCache(max_entries={self.max_entries})"
