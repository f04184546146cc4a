"""Each Python block of docs/webhooks.md and docs/queue.md runs on its own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from .._docblocks import Block, run_block, runnable

PAGES = ["docs/webhooks.md", "docs/queue.md"]
# The RabbitMQ example on the real broker, under queue names of its own.
REPLACE = {
    "@localhost:5672": "@127.0.0.1:5672",
    "max_retries=3)": f"max_retries=3, prefix='otc-doc-{uuid.uuid4().hex[:8]}.')",
}
CHECKS = {
    "MessageQueueIntegration(": "assert synced == [7]\nmq.delete_queues()\nmq.close()",
    "create_webhook_blueprint(": (
        "answer = flask_app.test_client().post('/webhook/otc', data=b'{}')\n"
        "assert answer.status_code == 400, answer.get_data()"
    ),
    '"task.completed"': "assert handler.verify_signature(b'{}', 'sha256=wrong') is False",
}


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_webhooks_and_queue_block_runs_alone(
    block: Block, sb: SandboxServer, tmp_path: Path
) -> None:
    run_block(block, sb, tmp_path, replace=REPLACE, checks=CHECKS)
