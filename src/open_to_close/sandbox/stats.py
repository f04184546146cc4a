"""Request counts by method and route template; benchmarks read them to count API calls."""

from __future__ import annotations

import threading
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._total = 0
        self._rate_limited = 0
        self._faults = 0

    def count(self, key: str) -> None:
        with self._lock:
            self._total += 1
            self._requests[key] = self._requests.get(key, 0) + 1

    def rate_limited(self) -> None:
        with self._lock:
            self._rate_limited += 1

    def fault(self) -> None:
        with self._lock:
            self._faults += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "requests": dict(self._requests),
                "rate_limited": self._rate_limited,
                "faults": self._faults,
            }

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._total = self._rate_limited = self._faults = 0
