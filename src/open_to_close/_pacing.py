"""Client-side pacing: stay under the API's rate limit, whatever it tells us about it.

One :class:`Pacer` is shared by every thread and task using a client. Three sources of
knowledge, strongest first:

- ``X-RateLimit-*`` headers (the sandbox's extension; the live API has not been seen to
  send them): a window with a limit, what remains and when it resets. Requests let out
  but not yet answered are counted, so bulk work uses the whole window, then waits for
  the reset instead of running into 429s.
- The ``rate_limit`` setting (``"1/s"``, ``"60/m"``): requests are spaced evenly at that
  rate.
- Neither: a 429 without headers means the client went too fast. The rate that got
  through in the last second becomes the pace, and every request waits a second (the
  server's window is spent; ``Retry-After``, when sent, says how long instead); after a
  quiet spell each answer that is not a 429 raises the pace a little, so a client slowed
  down by a burst speeds up again, and pacing ends once the pace is far above what the
  server refused.

Until any of these applies, a reservation costs an uncontended lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping

# Waiting a hair past the reset keeps a request from landing in the old window.
_RESET_MARGIN = 0.005
# When the new window's budget is unknown and used up, look again this often.
_PROBE_INTERVAL = 0.01
# Header-less 429s: the pace is what got through in the last second, a little less (the
# live limit is about 1 request/s), but one burst of 429s never more than halves it.
_OBSERVE_SECONDS = 1.0
_BACK_OFF = 0.9
_SETTLE_SECONDS = 0.5  # 429s this soon after an adjustment belong to the same burst
# Once this long has passed without a 429, each answer raises a learned pace by a share...
_HOLD_SECONDS = 5.0
_SPEED_UP = 0.01
# ... and pacing stops once the pace is this many times what was refused.
_RELEASE_FACTOR = 8.0
_MIN_RATE = 0.2  # never slower than one request in 5 s on our own account


class Pacer:
    __slots__ = (
        "_adjusted_at",
        "_budget",
        "_fixed",
        "_generation",
        "_hold_until",
        "_in_flight",
        "_learned",
        "_limit",
        "_lock",
        "_next_slot",
        "_passed",
        "_refused_at",
        "_reset",
    )

    def __init__(self, rate: float | None = None) -> None:
        self._lock = threading.Lock()
        # From headers.
        self._limit: int | None = None
        self._reset: float | None = None  # Unix time the current window ends, if known
        self._budget = 0  # requests we may still send in the current window
        self._in_flight = 0
        # Spacing: the setting, and what header-less 429s taught us (requests per second).
        self._fixed = rate
        self._learned: float | None = None
        self._refused_at: float | None = None  # the pace at which the server said 429
        self._next_slot = 0.0  # monotonic time the next spaced request may start
        self._hold_until = 0.0  # monotonic: a Retry-After without headers
        self._adjusted_at = -1e9  # monotonic time of the last slow-down
        self._generation = 0  # bumped on a slow-down: slots given out before are void
        self._passed: deque[float] = deque(maxlen=4096)  # monotonic times of answers

    @property
    def active(self) -> bool:
        return self._limit is not None or self.rate is not None

    @property
    def header_limit(self) -> int | None:
        """The limit the last ``X-RateLimit-Limit`` header announced (None: no header)."""
        return self._limit

    @property
    def rate(self) -> float | None:
        """Requests per second the client spaces to now (None: not spacing)."""
        fixed, learned = self._fixed, self._learned
        if fixed is None:
            return learned
        return fixed if learned is None else min(fixed, learned)

    @property
    def generation(self) -> int:
        """The ticket of a slot given out now (see :meth:`reserve`)."""
        return self._generation

    def reserve(self, max_wait: float = float("inf"), ticket: int | None = None) -> float:
        """Take a slot for one request: 0.0 means send now; a positive number, sleep that
        long and ask again; a negative one, a spaced slot is held: sleep ``-wait`` and ask
        again with ``ticket=generation`` read now. A slot given out before a slow-down is
        void, and its holder gets a new one.

        A wait longer than ``max_wait`` is not imposed: the request goes out and the
        server's answer (a 429 with ``Retry-After``) decides, as the retry rules say.
        """
        with self._lock:
            now = time.monotonic()
            if now < self._hold_until:
                return min(self._hold_until - now, max_wait) or _PROBE_INTERVAL
            if ticket != self._generation:
                rate = self.rate
                if rate is not None:
                    slot = max(now, self._next_slot)
                    self._next_slot = slot + 1.0 / rate
                    if slot > now:
                        return -(slot - now)  # held: sleep, then come back with the ticket
            if self._limit is None:
                # No limit seen yet; count the request so that the first answer with a
                # limit knows how many others are already on their way.
                self._in_flight += 1
                return 0.0
            clock = time.time()
            if self._reset is not None and clock >= self._reset:
                # A new window: its budget is the full limit, less what is still in flight.
                self._reset = None
                self._budget = self._limit - self._in_flight
            # With nothing in flight, no answer is coming to tell us the new window: probe.
            if self._budget > 0 or (self._reset is None and self._in_flight == 0):
                self._budget -= 1
                self._in_flight += 1
                return 0.0
            wait = _PROBE_INTERVAL if self._reset is None else self._reset - clock + _RESET_MARGIN
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
                if status == 429:
                    self._refused(headers)
                    return
                self._limit = self._reset = None  # the server announces no limit
                self._passed.append(time.monotonic())
                self._speed_up()
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

    # -- header-less 429s ------------------------------------------------------------------

    def _refused(self, headers: Mapping[str, str]) -> None:
        now = time.monotonic()
        retry_after = _number(headers.get("retry-after"))
        if retry_after is not None and retry_after > 0:
            self._hold_until = max(self._hold_until, now + retry_after)
        current = self.rate
        if current is None or now - self._adjusted_at >= _SETTLE_SECONDS:
            since = now - _OBSERVE_SECONDS
            passed = sum(1 for t in self._passed if t > since)
            observed = _BACK_OFF * passed / _OBSERVE_SECONDS
            if current is not None:
                observed = min(current, max(observed, current / 2))
            self._learned = max(_MIN_RATE, observed)
            self._refused_at = self._learned / _BACK_OFF
            self._adjusted_at = now
            self._generation += 1  # slots handed out at the old pace are taken back
            # The server's window is spent: requests sent before it turns over would all
            # be refused too. Without Retry-After, wait out a window of the usual length.
            self._hold_until = max(self._hold_until, now + _OBSERVE_SECONDS)
            self._next_slot = self._hold_until
        self._next_slot = max(self._next_slot, now + 1.0 / (self.rate or _MIN_RATE))

    def _speed_up(self) -> None:
        learned = self._learned
        if learned is None or time.monotonic() - self._adjusted_at < _HOLD_SECONDS:
            return
        learned *= 1.0 + _SPEED_UP
        if self._refused_at is not None and learned > _RELEASE_FACTOR * self._refused_at:
            self._learned = self._refused_at = None  # the limit has gone: stop pacing
        else:
            self._learned = learned


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


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
