"""Single flight: callers that miss the same key at the same time share one API call."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

# A leader's fetch is bounded by the client's timeout and retries; this only guards a
# follower against a leader that never finishes (it then fetches on its own).
_FOLLOWER_WAIT = 300.0


class _Flight(Generic[T]):
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """For threads: the first caller of a key runs ``fetch``; the others wait for it."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight[T]] = {}
        self._lock = threading.Lock()

    def do(self, key: Hashable, fetch: Callable[[], T]) -> tuple[T, bool]:
        """``(result, shared)``: ``shared`` is True for callers that waited on another."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            if not flight.done.wait(_FOLLOWER_WAIT):
                return fetch(), False
            if flight.error is not None:
                raise flight.error
            return flight.result, True  # type: ignore[return-value]
        try:
            flight.result = fetch()
            return flight.result, False
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
