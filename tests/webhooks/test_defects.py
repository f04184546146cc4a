"""Regression tests of issue 11's webhook defects (each failed before its fix)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from open_to_close.webhooks import (
    PayloadError,
    SQLDedupe,
    WebhookHandler,
    create_webhook_app,
    otc_signature,
    sign_headers,
)

from .conftest import SECRET, event, otc_only, signed

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PATH = "/webhook/otc"
BAD_IDS = ["evt_\x00nul", "evt_\ud800lone", "\udfff"]


def _otc_signed(data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()  # escapes NUL and surrogates: valid JSON text
    return body, {"X-OTC-Signature": otc_signature(SECRET, body)}


@pytest.fixture
def pg_store() -> Iterator[SQLDedupe]:
    store = SQLDedupe(PG_URL, table=f"t_{uuid.uuid4().hex[:10]}")
    yield store
    store.table.drop(store.engine)
    store.close()


@pytest.fixture
async def receiver(pg_store: SQLDedupe) -> AsyncIterator[tuple[httpx2.AsyncClient, list[Any]]]:
    handled: list[Any] = []
    handler = WebhookHandler(SECRET, dedupe=pg_store)
    handler.register_handler("property.created", lambda e: handled.append(e["id"]))
    transport = httpx2.ASGITransport(app=create_webhook_app(handler, PATH))
    async with httpx2.AsyncClient(transport=transport, base_url="http://receiver") as c:
        yield c, handled


@pytest.mark.defect(16)
@pytest.mark.parametrize("bad_id", BAD_IDS)
async def test_an_event_id_postgresql_cannot_hold_is_a_400(
    receiver: tuple[httpx2.AsyncClient, list[Any]], bad_id: str
) -> None:
    client, handled = receiver
    body, headers = _otc_signed(event(id=bad_id))
    for _ in range(2):  # refused the same way each time: never a 500
        answer = await client.post(PATH, content=body, headers=headers)
        assert answer.status_code == 400, answer.text
        assert "id" in answer.json()["error"]
    good = event()
    body, headers = signed(good)
    answer = await client.post(PATH, content=body, headers=otc_only(headers))
    assert answer.status_code == 200 and handled == [good["id"]]  # the store still works


@pytest.mark.defect(16)
@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_parse_and_the_stores_refuse_such_ids(pg_store: SQLDedupe, bad_id: str) -> None:
    handler = WebhookHandler(SECRET, dedupe=pg_store)
    body, headers = _otc_signed(event(id=bad_id))
    with pytest.raises(PayloadError, match="event id"):
        handler.parse(body, headers=headers)
    with pytest.raises(ValueError, match="event id"):
        pg_store.claim(bad_id, 60)
    # No body id: the signed webhook-id header is the key, and it is checked too (a header
    # is bytes, read as latin-1, so only the NUL can arrive that way).
    data = event()
    del data["id"]
    body = json.dumps(data).encode()
    with pytest.raises(PayloadError, match="event id"):
        handler.parse(body, headers=sign_headers(SECRET, body, "evt_\x00header"))
