"""One rule settles a task on every backend: the same delays, dead letters and log lines."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.queue import TaskQueue, connect
from open_to_close.queue.base import TaskSpec
from open_to_close.queue.settle import failed, lost

from .conftest import celery_url, purge


@pytest.fixture(params=["sqlite", "amqp", "redis"])
def any_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TaskQueue]:
    if request.param == "sqlite":
        queue = connect(f"sqlite:///{tmp_path / 'q.db'}", visibility_timeout=5)
    else:
        queue = connect(celery_url(request.param, tmp_path), visibility_timeout=5)
    yield queue
    if request.param != "sqlite":
        purge(queue)
    queue.close()


def test_every_backend_settles_alike(
    any_queue: TaskQueue, caplog: pytest.LogCaptureFixture
) -> None:
    @any_queue.task(name="flaky", max_retries=1, retry_backoff=0.05)
    def flaky(payload: Any) -> None:
        raise RuntimeError("boom")

    any_queue.enqueue("flaky", {"n": 1})
    any_queue.enqueue("ghost", {"n": 2})
    with caplog.at_level(logging.WARNING, logger="open_to_close.queue.settle"):
        any_queue.worker().run(stop_when_idle=True)
    said = sorted(
        re.sub(r"#\w+", "#ID", r.getMessage())
        for r in caplog.records
        if r.name == "open_to_close.queue.settle"
    )
    assert said == [
        "task flaky #ID dead-lettered: RuntimeError: boom",
        "task flaky #ID failed (RuntimeError: boom), retry in 0.05 s",
        "task ghost #ID dead-lettered: LookupError: no task named 'ghost' is registered in "
        "this worker (import the module that defines it)",
    ]
    letters = {letter["name"]: letter for letter in any_queue.dead_letters()}
    assert letters["flaky"]["attempts"] == 2 and letters["ghost"]["attempts"] == 1
    assert letters["flaky"]["payload"] == {"n": 1}
    assert any_queue.stats() == {"pending": 0, "running": 0, "done": 0, "dead": 2}


def test_the_verdicts() -> None:
    spec = TaskSpec("t", print, max_retries=2, retry_backoff=10)
    assert [failed(spec, "t", 1, n, "E").retry_in for n in range(3)] == [10, 20, None]
    buried = failed(spec, "t", 1, 2, "E", lost=1)
    assert buried.dead and buried.attempts == 4 and buried.failures == 3
    assert failed(None, "t", 1, 0, "E").dead  # no worker knows it: dead at once
    assert lost("t", 1, failures=1, deaths=3, max_lost=3) is None
    verdict = lost("t", 1, failures=1, deaths=4, max_lost=3)
    assert verdict is not None and verdict.dead and verdict.attempts == 5
    assert verdict.error == "its worker died 4 times while running it (killed or crashed)"


@pytest.mark.defect(11)
def test_a_task_error_quoting_the_key_is_masked(
    any_queue: TaskQueue, caplog: pytest.LogCaptureFixture
) -> None:
    """A task's error that quotes a URL with the API key: the settle's log line and the dead
    letter mask it (the package's log filter sits on ``open_to_close`` only, which does not
    see its children's records)."""
    key = "sk-live-" + "7" * 24

    @any_queue.task(name="leaky", max_retries=1, retry_backoff=0.05)
    def leaky(payload: Any) -> None:
        raise RuntimeError(f"GET https://api.example/properties?api_token={key} failed")

    any_queue.enqueue("leaky", {})
    with caplog.at_level(logging.WARNING, logger="open_to_close.queue"):
        any_queue.worker().run(stop_when_idle=True)
    assert key not in caplog.text and "api_token=***" in caplog.text
    [letter] = any_queue.dead_letters()
    assert key not in letter["error"] and "api_token=***" in letter["error"]
