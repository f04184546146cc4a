"""Timestamps for cursors: always timezone-aware, naive ones read as UTC.

The guide's ``datetime.now() - timedelta(days=1)`` is naive local time, which an API in UTC
reads hours off; every time here carries its zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def parse_time(value: Any) -> datetime:
    """A datetime from a datetime, a date, an ISO 8601 string or a Unix time."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return aware(datetime.fromisoformat(text))
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date and time (use ISO 8601, e.g. 2026-01-31T12:00:00Z)")


def iso(value: datetime) -> str:
    return aware(value).astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Newest:
    """The latest of the times seen (``see`` ignores blanks); ``value`` as it was given."""

    def __init__(self, start: str | None = None) -> None:
        self.value = start
        self._time = parse_time(start) if start else None

    def see(self, value: Any) -> None:
        if value in (None, ""):
            return
        when = parse_time(value)
        if self._time is None or when > self._time:
            self._time, self.value = when, value if isinstance(value, str) else iso(when)
