"""A handler the console's services load by dotted path: it refuses every event, naming
the property's address in its error (so hostile text reaches the pages as an error too)."""

from __future__ import annotations

from typing import Any


def refuse(event: dict[str, Any]) -> None:
    address = (event.get("property") or {}).get("address")
    raise ValueError(f"refused the property at {address}")
