"""Celery on the real RabbitMQ and Redis: the same names, retry policy and dead letters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from open_to_close.queue import connect
from open_to_close.queue.celery import CeleryQueue

from .conftest import celery_url, kill_mid_task, lines, purge, run_until_idle


@pytest.fixture(params=["amqp", "redis"])
def cq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CeleryQueue]:
    queue = connect(celery_url(request.param, tmp_path), visibility_timeout=5)
    assert isinstance(queue, CeleryQueue)
    yield queue
    purge(queue)
    queue.close()


def test_celery_settings_lose_nothing(cq: CeleryQueue) -> None:
    conf = cq.app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.worker_prefetch_multiplier == 1


def test_tasks_run_and_are_counted(cq: CeleryQueue) -> None:
    seen: list[Any] = []
    cq.task(name="record")(seen.append)
    for n in range(20):
        cq.enqueue("record", {"n": n})
    assert cq.stats() == {"pending": 20, "running": 0, "done": 0, "dead": 0}
    cq.worker(concurrency=2).run(stop_when_idle=True)
    assert sorted(p["n"] for p in seen) == list(range(20))
    assert cq.stats() == {"pending": 0, "running": 0, "done": 20, "dead": 0}


def test_retry_policy_dead_letter_and_retry(cq: CeleryQueue) -> None:
    attempts: list[float] = []

    @cq.task(name="fails", max_retries=2, retry_backoff=0.1)
    def fails(payload: Any) -> None:
        attempts.append(time.monotonic())
        raise RuntimeError("still broken")

    cq.enqueue("fails", {"id": 3})
    cq.enqueue("nobody.knows.me", {"id": 4})
    cq.worker().run(stop_when_idle=True)
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= 0.1 and attempts[2] - attempts[1] >= 0.2
    letters = {letter["name"]: letter for letter in cq.dead_letters()}
    assert letters["fails"]["attempts"] == 3 and letters["fails"]["payload"] == {"id": 3}
    assert letters["fails"]["error"] == "RuntimeError: still broken"
    assert "no task named 'nobody.knows.me'" in letters["nobody.knows.me"]["error"]
    assert cq.stats()["dead"] == 2

    cq.task(name="fails", max_retries=0)(attempts.append)
    cq.retry_dead_letter(letters["fails"]["id"])
    cq.discard_dead_letter(letters["nobody.knows.me"]["id"])
    cq.worker().run(stop_when_idle=True)
    assert attempts[-1] == {"id": 3}
    assert cq.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}


def test_enqueue_once(cq: CeleryQueue) -> None:
    assert cq.enqueue_once("t", {}, key="k1")[1] is True
    assert cq.enqueue_once("t", {}, key="k1") == ("", False)


def test_a_killed_celery_worker_loses_nothing(tmp_path: Path) -> None:
    url = celery_url("amqp", tmp_path)
    log = tmp_path / "runs.log"
    queue = connect(url)
    assert isinstance(queue, CeleryQueue)
    try:
        queue.enqueue("slow", {"n": 1})
        kill_mid_task(url, log)
        # The broker saw the connection drop and re-queued the unacked message.
        run_until_idle(url, log)
        assert lines(log) == ["slow 1"]
        assert queue.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    finally:
        purge(queue)
        queue.close()
