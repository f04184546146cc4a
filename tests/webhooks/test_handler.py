"""WebhookHandler: the guide's methods, dedupe on SQLite, PostgreSQL and Redis, failures."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.webhooks import (
    Claim,
    EventInProgressError,
    InvalidSignatureError,
    MissingSignatureError,
    PayloadError,
    RedisDedupe,
    SQLDedupe,
    WebhookHandler,
    otc_signature,
)
from open_to_close.webhooks.dedupe import DedupeStore

from .conftest import SECRET, event, otc_only, signed

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_guide_usage_register_verify_process(handler: WebhookHandler) -> None:
    calls: list[dict[str, Any]] = []

    def handle_property_created(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(data)
        return {"status": "processed", "actions": ["crm_sync"]}

    handler.register_handler("property.created", handle_property_created)
    body, headers = signed(event())
    assert handler.verify_signature(body, headers["X-OTC-Signature"])
    assert not handler.verify_signature(body, None)  # type: ignore[arg-type]
    result = handler.process_webhook(body, headers["X-OTC-Signature"])
    assert result == {"status": "processed", "actions": ["crm_sync"]}
    assert calls[0]["property"]["id"] == 7


def test_decorator_and_default_results(handler: WebhookHandler) -> None:
    @handler.on("task.completed")
    def done(data: dict[str, Any]) -> None:
        return None

    body, headers = signed(event("task.completed"))
    assert handler.process_webhook(body, headers=headers) == {
        "status": "processed",
        "event_type": "task.completed",
    }
    body, headers = signed(event("note.created"))
    assert handler.process_webhook(body, headers=headers) == {
        "status": "ignored",
        "reason": "No handler for note.created",
    }


def test_wildcard_handler_takes_types_without_their_own(handler: WebhookHandler) -> None:
    seen: list[str] = []
    handler.register_handler("*", lambda e: seen.append(e["event_type"]))
    handler.register_handler("property.created", lambda e: "own")
    for kind in ("note.created", "property.created"):
        body, headers = signed(event(kind))
        handler.process_webhook(body, headers=headers)
    assert seen == ["note.created"]


def test_async_handlers_are_awaited(handler: WebhookHandler) -> None:
    @handler.on("property.created")
    async def created(data: dict[str, Any]) -> dict[str, Any]:
        return {"status": "async", "id": data["property"]["id"]}

    body, headers = signed(event())
    assert handler.process_webhook(body, headers=headers) == {"status": "async", "id": 7}


def test_bad_signatures_raise_value_errors(handler: WebhookHandler) -> None:
    body, headers = signed(event())
    with pytest.raises(MissingSignatureError):
        handler.process_webhook(body)
    with pytest.raises(InvalidSignatureError) as info:
        handler.process_webhook(body, "sha256=" + "0" * 64)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidSignatureError):
        handler.process_webhook(body, otc_signature("wrong", body))
    tampered = body.replace(b"1 Main St", b"2 Main St")
    with pytest.raises(InvalidSignatureError):
        handler.process_webhook(tampered, headers=headers)


def test_standard_headers_decide_when_present(handler: WebhookHandler) -> None:
    body, headers = signed(event())
    stale = {**headers, "webhook-timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(InvalidSignatureError, match="tolerance"):
        handler.process_webhook(body, headers=stale)
    assert handler.process_webhook(body, headers=otc_only(headers))["status"] == "ignored"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "Malformed"),
        (b"[1, 2]", "object"),
        (b'{"id": "e"}', "event_type"),
        (b'{"event_type": NaN}', "Malformed"),
        (b"\xff\xfe\x00", "Malformed"),
        (b"[" * 100_000, "Malformed"),
    ],
)
def test_payload_errors(handler: WebhookHandler, body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        handler.process_webhook(body, otc_signature(SECRET, body))


def test_replay_is_a_duplicate_and_runs_nothing(handler: WebhookHandler) -> None:
    calls: list[str] = []
    handler.register_handler("property.created", lambda e: calls.append(e["id"]))
    body, headers = signed(event())
    handler.process_webhook(body, headers=headers)
    for attempt in (headers, otc_only(headers)):
        result = handler.process_webhook(body, headers=attempt)
        assert result["status"] == "duplicate"
    assert len(calls) == 1


def test_seen_ids_survive_a_new_handler(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seen.db'}"
    body, headers = signed(event())
    first = WebhookHandler(SECRET, dedupe=url)
    first.process_webhook(body, headers=headers)
    first.close()
    second = WebhookHandler(SECRET, dedupe=url)
    assert second.process_webhook(body, headers=headers)["status"] == "duplicate"
    second.close()


def test_a_failed_handler_runs_again_on_the_retry(handler: WebhookHandler) -> None:
    attempts: list[int] = []

    @handler.on("property.created")
    def flaky(data: dict[str, Any]) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("CRM down")
        return "ok"

    body, headers = signed(event())
    with pytest.raises(ConnectionError):
        handler.process_webhook(body, headers=headers)
    assert handler.process_webhook(body, headers=headers) == {"status": "processed", "result": "ok"}
    assert handler.process_webhook(body, headers=headers)["status"] == "duplicate"


def test_event_without_an_id_is_deduped_by_its_body(handler: WebhookHandler) -> None:
    data = {"event_type": "property.created"}
    body = json.dumps(data).encode()
    assert handler.process_webhook(body, otc_signature(SECRET, body))["status"] == "ignored"
    assert handler.process_webhook(body, otc_signature(SECRET, body))["status"] == "duplicate"


def test_rotation_accepts_old_and_new(tmp_path: Path) -> None:
    rotating = WebhookHandler(["old", "new"], dedupe=f"sqlite:///{tmp_path / 'r.db'}")
    for secret in ("old", "new"):
        body, headers = signed(event(), secret)
        assert rotating.process_webhook(body, headers=headers)["status"] == "ignored"
    body, headers = signed(event(), "retired")
    with pytest.raises(InvalidSignatureError):
        rotating.process_webhook(body, headers=headers)
    rotating.close()


def test_secret_is_required_and_never_shown() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookHandler(None)  # type: ignore[arg-type]
    assert SECRET not in repr(WebhookHandler(SECRET, dedupe="sqlite://"))


# -- dedupe stores, each on its real engine ----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DedupeStore]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        made: Any = SQLDedupe(f"sqlite:///{tmp_path / 'd.db'}", table=name)
    elif request.param == "postgresql":
        made = SQLDedupe(PG_URL, table=name)
    else:
        made = RedisDedupe("redis://127.0.0.1:6379/0", prefix=f"otc-test:{name}:")
    yield made
    if isinstance(made, SQLDedupe):
        made.table.drop(made.engine)
    else:
        for key in made.redis.scan_iter(f"{made.prefix}*"):
            made.redis.delete(key)
    made.close()


def test_claim_complete_release(store: DedupeStore) -> None:
    assert store.claim("e1", lease=60) is Claim.NEW
    assert store.claim("e1", lease=60) is Claim.BUSY
    store.release("e1")
    assert store.claim("e1", lease=60) is Claim.NEW
    store.complete("e1")
    assert store.claim("e1", lease=60) is Claim.DONE
    store.release("e1")  # a done id stays done
    assert store.claim("e1", lease=60) is Claim.DONE


def test_an_expired_claim_is_taken_over(store: DedupeStore) -> None:
    assert store.claim("e2", lease=0.05) is Claim.NEW
    time.sleep(0.15)
    assert store.claim("e2", lease=0.05) is Claim.NEW


def test_busy_claim_surfaces_as_in_progress(tmp_path: Path) -> None:
    store = SQLDedupe(f"sqlite:///{tmp_path / 'b.db'}")
    hooks = WebhookHandler(SECRET, dedupe=store)
    data = event()
    store.claim(data["id"], lease=60)
    body, headers = signed(data)
    with pytest.raises(EventInProgressError):
        hooks.process_webhook(body, headers=headers)
    hooks.close()
    store.close()


def test_sql_purge_forgets_old_done_ids(tmp_path: Path) -> None:
    store = SQLDedupe(f"sqlite:///{tmp_path / 'p.db'}")
    store.claim("old", 60)
    store.complete("old")
    assert store.purge(time.time() + 1) == 1
    assert store.claim("old", 60) is Claim.NEW
    store.close()
