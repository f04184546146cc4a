"""Fixtures: a secret, a handler with its dedupe in a temporary SQLite file, signed bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.webhooks import WebhookHandler, sign_headers

SECRET = "whsec-test-5b2e"


def event(event_type: str = "property.created", **fields: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "event_type": event_type,
        "created_at": "2026-01-01T00:00:00Z",
        "property": {"id": 7, "address": "1 Main St", "status": "active"},
        **fields,
    }


def signed(data: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A body and the headers the sandbox would send with it (both schemes)."""
    body = json.dumps(data).encode()
    return body, sign_headers(secret, body, data.get("id", "evt_x"))


def otc_only(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not k.startswith("webhook-")}


@pytest.fixture
def handler(tmp_path: Path) -> Iterator[WebhookHandler]:
    h = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    yield h
    h.close()
