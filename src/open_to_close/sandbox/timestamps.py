"""Record timestamps: one fixed ISO 8601 shape, strictly increasing across writes.

Every stamp is ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, so comparing the strings compares the
instants; that is what lets ``modified_since`` run as a plain SQL ``>`` on an index.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d:)60")
# An unencoded "+02:00" in a URL arrives as " 02:00" (a form-encoded space).
_PLUS_AS_SPACE = re.compile(r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def format_micros(micros: int) -> str:
    """The stamp of ``micros`` microseconds since the Unix epoch."""
    moment = _EPOCH + timedelta(microseconds=micros)
    # isoformat pads years below 1000 to four digits; strftime("%Y") does not everywhere.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_micros(stamp: str) -> int:
    """Microseconds since the epoch of a stamp written by :func:`format_micros`."""
    return to_micros(datetime.fromisoformat(stamp))


def to_micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Clock:
    """Hands out stamps that strictly increase, even for writes within one microsecond.

    A sync engine resumes from the last ``updated_at`` it saw with ``modified_since``; two
    writes sharing a stamp would let one of them slip past its cursor.
    """

    def __init__(self, last_micros: int = 0) -> None:
        self._last = last_micros
        self._lock = threading.Lock()

    def advance_to(self, micros: int) -> None:
        """Never hand out a stamp at or before ``micros`` (e.g. the newest one in a file db)."""
        with self._lock:
            self._last = max(self._last, micros)

    def now(self) -> str:
        with self._lock:
            micros = max(time.time_ns() // 1000, self._last + 1)
            self._last = micros
        return format_micros(micros)


def parse_since(text: str) -> str:
    """A ``modified_since`` value as a comparable stamp; a value with no zone is UTC.

    Raises ``ValueError`` with a message fit for the client when ``text`` isn't ISO 8601.
    """
    # RFC 3339 allows a leap second; datetime doesn't, and one second later is equivalent
    # for a strict ``>`` comparison against microsecond stamps.
    text = _PLUS_AS_SPACE.sub(r"\1+\2", text.strip())
    leap = _LEAP_SECOND.search(text) is not None
    try:
        moment = datetime.fromisoformat(_LEAP_SECOND.sub(r"\g<1>59", text))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        micros = to_micros(moment) + (1_000_000 if leap else 0)
        return format_micros(micros)
    except (ValueError, OverflowError):
        raise ValueError(
            "modified_since must be an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z"
        ) from None


def plain_seconds(stamp: str) -> str:
    """``2025-05-22T05:01:56.123456Z`` -> ``2025-05-22 05:01:56``: a live property's
    ``created``."""
    return f"{stamp[:10]} {stamp[11:19]}"


def plain_micros(stamp: str) -> str:
    """``2025-06-04T01:18:07.797121Z`` -> ``2025-06-04 01:18:07.797121``: the ``date`` of a
    live contact's ``created``."""
    return f"{stamp[:10]} {stamp[11:26]}"
