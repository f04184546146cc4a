"""Client-side pacing from the API's ``X-RateLimit-*`` headers.

One :class:`Pacer` is shared by every thread and task using a client. It tracks the server's
window (limit, remaining, reset) and the requests it has let out but not yet seen answered,
so that bulk work uses the whole limit and waits for the window's reset instead of running
into 429s. Until the first rate-limit header arrives it costs an uncontended lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

# Waiting a hair past the reset keeps a request from landing in the old window.
_RESET_MARGIN = 0.005
# When the new window's budget is unknown and used up, look again this often.
_PROBE_INTERVAL = 0.01


class Pacer:
    __slots__ = ("_budget", "_in_flight", "_limit", "_lock", "_reset")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._reset: float | None = None  # Unix time the current window ends, if known
        self._budget = 0  # requests we may still send in the current window
        self._in_flight = 0

    @property
    def active(self) -> bool:
        return self._limit is not None

    def reserve(self, max_wait: float = float("inf")) -> float:
        """Take a slot for one request: 0.0 means send now, else sleep that long and ask again.

        A wait longer than ``max_wait`` is not imposed: the request goes out and the
        server's answer (a 429 with ``Retry-After``) decides, as the retry rules say.
        """
        with self._lock:
            if self._limit is None:
                # No limit seen yet; count the request so that the first answer with a
                # limit knows how many others are already on their way.
                self._in_flight += 1
                return 0.0
            now = time.time()
            if self._reset is not None and now >= self._reset:
                # A new window: its budget is the full limit, less what is still in flight.
                self._reset = None
                self._budget = self._limit - self._in_flight
            # With nothing in flight, no answer is coming to tell us the new window: probe.
            if self._budget > 0 or (self._reset is None and self._in_flight == 0):
                self._budget -= 1
                self._in_flight += 1
                return 0.0
            wait = _PROBE_INTERVAL if self._reset is None else self._reset - now + _RESET_MARGIN
            if wait > max_wait:
                self._in_flight += 1
                return 0.0
            return wait

    def release(self, headers: Mapping[str, str] | None, status: int) -> None:
        """Account for an answer (``headers`` None when the request got none)."""
        with self._lock:
            if self._in_flight > 0:
                self._in_flight -= 1
            if headers is None:
                return
            limit, remaining, reset = _read(headers)
            if limit is None:
                if status != 429:
                    self._limit = self._reset = None  # the server no longer announces a limit
                return
            self._limit = limit
            if status == 429:
                retry_after = _number(headers.get("retry-after"))
                wait_until = time.time() + (retry_after or 1.0)
                self._reset = max(reset or 0.0, wait_until, self._reset or 0.0)
                self._budget = 0
                return
            if remaining is None or reset is None:
                return
            if self._reset is None or reset > self._reset:
                self._reset = reset
                self._budget = remaining - self._in_flight
            elif reset == self._reset:
                self._budget = min(self._budget, remaining - self._in_flight)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _read(headers: Mapping[str, str]) -> tuple[int | None, int | None, float | None]:
    limit = _number(headers.get("x-ratelimit-limit"))
    remaining = _number(headers.get("x-ratelimit-remaining"))
    reset = _number(headers.get("x-ratelimit-reset"))
    if reset is not None and reset < 1e9:
        # Some APIs send seconds until the reset rather than a Unix time.
        reset = time.time() + reset
    return (
        int(limit) if limit is not None and limit > 0 else None,
        int(remaining) if remaining is not None else None,
        reset,
    )
