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
