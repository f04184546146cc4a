"""The Python examples in docs/webhooks.md and docs/queue.md run as written."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), re.S)


def test_webhooks_doc_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__main__"}  # as a script would run it
    for block in _blocks("webhooks.md"):
        exec(compile(block, "docs/webhooks.md", "exec"), namespace)
    assert namespace["handled"] == [("active", "under_contract")]
    namespace["queue"].close()


def test_queue_doc_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tasks, rabbit = _blocks("queue.md")
    namespace: dict[str, Any] = {}
    exec(compile(tasks, "docs/queue.md", "exec"), namespace)
    # The RabbitMQ example, on the real broker, under a prefix of its own.
    prefix = f"otc-doc-{uuid.uuid4().hex[:8]}."
    rabbit = rabbit.replace("localhost", "127.0.0.1").replace(
        "max_retries=3)", f"max_retries=3, prefix={prefix!r})"
    )
    exec(compile(rabbit, "docs/queue.md", "exec"), namespace)
    assert namespace["synced"][-1] == 7
    namespace["mq"].delete_queues()
    namespace["mq"].close()
    namespace["queue"].close()
