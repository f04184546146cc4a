"""What a cache backend is: a few string operations a cached client needs, nothing more.

Backends store text (the JSON the cached client writes) under string keys, with a TTL.
They never decode values: deciding what a stored value means is the cached client's job,
in one place. Every failure of the engine below (a refused connection, a timeout, a
locked database) is raised as :class:`CacheBackendError`, so callers catch one type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

__all__ = ["CacheBackend", "CacheBackendError", "key_kind"]


class CacheBackendError(Exception):
    """The cache's engine could not be reached or failed an operation."""


def key_kind(key: str) -> str:
    """The kind of entry a key names, its first two segments: ``item:properties``."""
    return ":".join(key.split(":", 2)[:2])


class CacheBackend(ABC):
    """A key-value store with expiry. Implementations are safe to share across threads."""

    #: The ``cache_type`` label of this backend's metrics.
    name: ClassVar[str]
    #: True when a value read twice is the same object (an in-process store): the cached
    #: client then decodes it once and hands out copies.
    returns_stored_objects: ClassVar[bool] = False

    @abstractmethod
    def get_many(self, keys: Sequence[str]) -> list[bytes | str | None]:
        """The live values of ``keys``, in order (None: missing or expired); one round trip."""

    @abstractmethod
    def set(self, key: str, value: str, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""

    @abstractmethod
    def write(self, sets: Mapping[str, str], ttl: float, deletes: Sequence[str] = ()) -> None:
        """Set several keys (one TTL) and delete others, in one round trip."""

    @abstractmethod
    def clear(self) -> int:
        """Remove every entry of this cache (an admin operation); how many were removed."""

    @abstractmethod
    def cleanup(self) -> dict[str, int]:
        """Remove expired entries; how many of each :func:`key_kind` went."""

    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`CacheBackendError` unless the engine answers."""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections."""
