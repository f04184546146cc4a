"""Handlers the console tests' services load by dotted path."""

from __future__ import annotations

from typing import Any

seen: list[dict[str, Any]] = []
failing: set[str] = set()  # event ids whose handler raises


def record(event: dict[str, Any]) -> None:
    if event.get("id") in failing:
        raise RuntimeError(f"the CRM is down for {event['id']}")
    seen.append(event)
