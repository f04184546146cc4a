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

    Past ``max_entries`` entries, or ``max_bytes`` of text (a live property is about
    65 KB of JSON, with its 497 field values; a page of 50 is about 3 MB), the entries
    closest to expiry are dropped first; the version stamps that guard against stale
    reads live longest, so they go last.
    """

    name = "memory"
    returns_stored_objects = True

    def __init__(self, max_entries: int = 10_000, max_bytes: int = 256 * 2**20) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1; got {max_entries}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1; got {max_bytes}")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: dict[str, tuple[str, float]] = {}
        self._size = 0  # characters of text held (JSON is ASCII: bytes)
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> list[bytes | str | None]:
        now = time.monotonic()
        found: list[bytes | str | None] = []
        with self._lock:
            for key in keys:
                entry = self._data.get(key)
                found.append(entry[0] if entry is not None and entry[1] > now else None)
        return found

    def _put(self, key: str, value: str, expires: float) -> None:
        old = self._data.get(key)
        if old is not None:
            self._size -= len(old[0])
        self._data[key] = (value, expires)
        self._size += len(value)

    def _drop(self, key: str) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self._size -= len(old[0])

    def _over(self) -> bool:
        return len(self._data) > self.max_entries or self._size > self.max_bytes

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._put(key, value, time.monotonic() + ttl)
            if self._over():
                self._shrink()

    def write(self, sets: Mapping[str, str], ttl: float, deletes: Sequence[str] = ()) -> None:
        expires = time.monotonic() + ttl
        with self._lock:
            for key in deletes:
                self._drop(key)
            for key, value in sets.items():
                self._put(key, value, expires)
            if self._over():
                self._shrink()

    def _shrink(self) -> None:
        """Drop expired entries, then the soonest to expire, down to 90 % of the bounds."""
        self._purge_expired()
        entries, size = self.max_entries * 9 // 10, self.max_bytes * 9 // 10
        if len(self._data) > entries or self._size > size:
            by_expiry = sorted(self._data.items(), key=lambda item: item[1][1])
            for key, _ in by_expiry:
                if len(self._data) <= entries and self._size <= size:
                    break
                self._drop(key)

    def _purge_expired(self) -> Counter[str]:
        now = time.monotonic()
        expired = [key for key, (_, expires) in self._data.items() if expires <= now]
        for key in expired:
            self._drop(key)
        return Counter(key_kind(key) for key in expired)

    def clear(self) -> int:
        with self._lock:
            count = len(self._data)
            self._data.clear()
            self._size = 0
        return count

    def cleanup(self) -> dict[str, int]:
        with self._lock:
            return dict(self._purge_expired())

    def ping(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"MemoryCache(max_entries={self.max_entries}, max_bytes={self.max_bytes})"
