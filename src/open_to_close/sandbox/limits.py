"""Rate limiting: fixed windows aligned to the epoch, counted per API key."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*([sm])\s*$")
_WINDOWS = {"s": 1, "m": 60}


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    window: int  # seconds

    def __str__(self) -> str:
        return f"{self.limit}/{'s' if self.window == 1 else 'm'}"


def parse_rate_limit(spec: str | RateLimit | None) -> RateLimit | None:
    """``"N/s"`` or ``"N/m"`` (N >= 1) as a :class:`RateLimit`; None means no limit."""
    if spec is None or isinstance(spec, RateLimit):
        return spec
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    if match is None or int(match.group(1)) < 1:
        raise ValueError(
            f"rate limit {spec!r} is not valid: use N/s or N/m with N >= 1, e.g. 1000/m"
        )
    return RateLimit(int(match.group(1)), _WINDOWS[match.group(2)])


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix time the window ends
    retry_after: int  # whole seconds, >= 1; meaningful when not allowed

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after).encode()))
        return out


class RateLimiter:
    def __init__(self, spec: str | RateLimit | None = None, clock: Callable[[], float] = time.time):
        self.rule = parse_rate_limit(spec)
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window start, requests)

    def set(self, spec: str | RateLimit | None) -> None:
        rule = parse_rate_limit(spec)
        with self._lock:
            self.rule = rule
            self._windows.clear()

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def check(self, key: str) -> Verdict | None:
        """Count one request for ``key``; None when no limit is set.

        A refused request is not counted, so a client that waits out ``Retry-After``
        gets the whole next window.
        """
        rule = self.rule
        if rule is None:
            return None
        now = self.clock()
        start = int(now // rule.window) * rule.window
        reset = start + rule.window
        with self._lock:
            window_start, used = self._windows.get(key, (start, 0))
            if window_start != start:
                used = 0
            allowed = used < rule.limit
            if allowed:
                used += 1
                self._windows[key] = (start, used)
        retry_after = max(1, math.ceil(reset - now))
        return Verdict(allowed, rule.limit, rule.limit - used, reset, retry_after)
