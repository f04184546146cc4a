"""How the console writes values: times in UTC, one format for Unix times and ISO text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .._redact import mask_url, redact


def when(value: Any) -> str:
    """A Unix time or ISO text as ``2025-01-31 12:00:05`` (UTC); '-' for nothing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value).replace("T", " ").removesuffix("Z")[:19]


def masked(text: str) -> str:
    """A URL (or path) with its password shown as ``***``, and known secrets masked."""
    return redact(mask_url(text) if "://" in text else text)
