"""The claims store sits below the queue and the webhooks: the queue knows no webhooks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from open_to_close import webhooks
from open_to_close._claims import Claim, RedisClaims, SQLClaims
from open_to_close.queue import KeyInProgressError, connect
from open_to_close.queue.celery import CeleryQueue

from .conftest import REPO, celery_url, purge


def test_the_queue_imports_no_webhook_code() -> None:
    code = (
        "import sys, open_to_close.queue.celery, open_to_close.queue.celery_state\n"
        "print(sorted(m for m in sys.modules if m.startswith('open_to_close.webhooks')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_webhooks_public_names_are_the_claims_store() -> None:
    assert webhooks.Claim is Claim
    assert issubclass(webhooks.SQLDedupe, SQLClaims)
    assert issubclass(webhooks.RedisDedupe, RedisClaims)


@pytest.mark.parametrize("broker", ["amqp", "redis"])
def test_a_key_being_enqueued_raises_the_queues_own_error(broker: str, tmp_path: Path) -> None:
    queue = connect(celery_url(broker, tmp_path))
    assert isinstance(queue, CeleryQueue)
    try:
        assert queue.state.keys.claim("k-busy", 60) is Claim.NEW  # another caller's claim
        with pytest.raises(KeyInProgressError, match="k-busy") as caught:
            queue.enqueue_once("t", {}, key="k-busy")
        assert not isinstance(caught.value, webhooks.EventInProgressError)
        queue.state.keys.release("k-busy")
        assert queue.enqueue_once("t", {}, key="k-busy")[1] is True
    finally:
        purge(queue)
        queue.close()


@pytest.mark.defect(2)
def test_a_celery_queue_named_webhooks_shares_no_key_with_webhook_dedupe() -> None:
    """Celery's state lives under ``otc:queue:<name>:``; webhook dedupe under
    ``otc:webhooks:``: a queue called "webhooks" and an event id "dead" stay apart."""
    import redis

    from open_to_close.queue import connect
    from open_to_close.webhooks.dedupe import Claim, RedisDedupe

    r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    queue = connect("redis://127.0.0.1:6379/0?queue=webhooks")
    dedupe = RedisDedupe("redis://127.0.0.1:6379/0")
    event_ids = ["dead", "dead_seq", "tasks", "done"]
    try:
        assert not queue.state.prefix.startswith("otc:webhooks:")  # type: ignore[attr-defined]
        queue.state.enqueued("t1", "job")  # type: ignore[attr-defined]
        queue.state.bury("t1", "job", {"a": 1}, "boom", 4)  # type: ignore[attr-defined]
        for event_id in event_ids:
            assert dedupe.claim(event_id, 30) is Claim.NEW
            dedupe.complete(event_id)
        assert queue.stats()["dead"] == 1
        assert [d["payload"] for d in queue.dead_letters()] == [{"a": 1}]
    finally:
        for event_id in event_ids:
            r.delete(f"otc:webhooks:{event_id}")
        for key in r.scan_iter("otc:queue:webhooks:*"):
            r.delete(key)
        dedupe.close()
        queue.close()
        r.close()
