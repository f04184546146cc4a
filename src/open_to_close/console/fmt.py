"""How the console writes values: times in UTC, one format for Unix times and ISO text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def when(value: Any) -> str:
    """A Unix time or ISO text as ``2025-01-31 12:00:05`` (UTC); '-' for nothing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value).replace("T", " ").removesuffix("Z")[:19]
