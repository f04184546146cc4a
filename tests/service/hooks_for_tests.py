"""A user handler module, named by dotted path in the service tests' config."""

from __future__ import annotations

import threading
from typing import Any

seen: list[str] = []
_lock = threading.Lock()


def record_status_change(event: dict[str, Any]) -> dict[str, Any]:
    with _lock:
        seen.append(event["id"])
    return {"new_status": event["property"]["status"]}
