"""Celery when its broker or its state store fails around a task: nothing is lost, nothing
counted twice (issue 11's review of #3 and #4, on the real RabbitMQ, Redis, PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from open_to_close.queue import connect
from open_to_close.queue.celery import CeleryQueue
from open_to_close.queue.celery_state import open_state

from ..cache._proxy import TcpProxy
from .conftest import REDIS, purge, unique

PG = "postgresql://postgres@{host}/test"


def _fails_once_cutting(proxy: TcpProxy, runs: list[int], back_in: float) -> Any:
    """A task whose first run cuts ``proxy`` (back ``back_in`` seconds later) and raises."""

    def flaky(payload: Any) -> None:
        runs.append(payload["n"])
        if len(runs) == 1:
            proxy.stop()
            threading.Timer(back_in, proxy.start).start()
            raise RuntimeError("the first run fails")

    return flaky


def _work_until_idle(queue: CeleryQueue, timeout: float) -> None:
    worker = queue.worker()
    thread = threading.Thread(target=worker.run, kwargs={"stop_when_idle": True})
    thread.start()
    thread.join(timeout)
    if thread.is_alive():  # the queue never went idle: a task is stuck in the stats
        worker.stop()
        thread.join(30)


def _outage_url(cut: str, port: int, tmp_path: Path) -> str:
    if cut == "broker":  # RabbitMQ through the proxy, the state in a file
        broker = f"amqp://guest:guest@127.0.0.1:{port}//"
        return f"{broker}?queue={unique()}&state=sqlite:///{tmp_path / 'state.db'}"
    state = quote(PG.format(host=f"127.0.0.1:{port}"), safe="")  # Redis, PostgreSQL state
    return f"{REDIS}?queue={unique('otc_outage').replace('-', '_')}&state={state}"


@pytest.mark.defect(3)
@pytest.mark.parametrize(("cut", "target"), [("broker", 5672), ("state", 5432)])
def test_an_outage_as_a_task_fails_loses_nothing(cut: str, target: int, tmp_path: Path) -> None:
    """A task fails while its broker link (RabbitMQ) or its state store (PostgreSQL) is down.

    Broker: its retry can't be published. Before the fix the task was marked as waiting for
    a retry first, so the redelivered message was taken for a stale one and skipped: the task
    stayed pending for good. State: its failure can't be written. Before the fix the error
    left the Celery task, Celery acked the message, and the task was lost (``running`` in
    the stats for good). Now the message goes back and the task runs again."""
    proxy = TcpProxy(("127.0.0.1", target))
    proxy.start()
    queue = connect(_outage_url(cut, proxy.port, tmp_path))
    assert isinstance(queue, CeleryQueue)
    runs: list[int] = []
    queue.task(name="flaky", max_retries=3, retry_backoff=0.1)(
        _fails_once_cutting(proxy, runs, back_in=2.0)
    )
    try:
        queue.enqueue("flaky", {"n": 1})
        _work_until_idle(queue, timeout=45)
        assert runs == [1, 1]  # a retry's copy, if one was sent, found the task done
        assert queue.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    finally:
        if proxy._listener is None:  # a failed run may leave it cut
            proxy.start()
        purge(queue)
        queue.close()
        proxy.stop()


@pytest.mark.defect(3)
def test_an_orphan_copy_of_a_forgotten_task_runs_nothing(tmp_path: Path) -> None:
    """The confirm of a publish is lost after RabbitMQ took the message: the enqueue raised
    (the webhook answered 503), the task's record was forgotten, and the sender's retry is
    queued afresh. The orphan message is skipped: the event is handled once."""
    queue = connect(
        f"amqp://guest:guest@127.0.0.1:5672//?queue={unique()}"
        f"&state=sqlite:///{tmp_path / 'state.db'}"
    )
    assert isinstance(queue, CeleryQueue)
    runs: list[int] = []
    queue.task(name="count")(lambda payload: runs.append(payload["n"]))
    try:
        orphan = uuid.uuid4().hex
        queue.state.enqueued(orphan, "count")
        queue._run.apply_async(args=("count", {"n": 1}), task_id=orphan)
        queue.state.forget(orphan)  # what enqueue does when the confirm never came
        queue.enqueue("count", {"n": 1})  # the sender's retry
        _work_until_idle(queue, timeout=30)
        assert runs == [1]
        assert queue.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    finally:
        purge(queue)
        queue.close()


@pytest.mark.defect(4)
@pytest.mark.parametrize("store", ["sqlite", "redis", "postgresql"])
def test_a_duplicate_completion_counts_once(store: str, tmp_path: Path) -> None:
    """A holder whose lease lapsed (a long pause) completes after the copy that took over:
    ``done`` counts the task once. Before the fix the Redis state counted it twice."""
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'state.db'}",
        "redis": REDIS,
        "postgresql": PG.format(host="127.0.0.1:5432"),
    }[store]
    state = open_state(url, prefix=f"otc:{unique('dup').replace('-', '_')}:")
    try:
        state.enqueued("t1", "job")
        assert state.lease("t1", "a", 0.1)
        assert state.started("t1", 0) == 1
        time.sleep(0.15)  # a's lease lapses
        assert state.lease("t1", "b", 10) and state.started("t1", 0) == 2
        state.done("t1")  # the copy
        state.done("t1")  # the stale holder
        assert state.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
        state.enqueued("t2", "job")  # a run whose retry could not be sent is undone
        assert state.lease("t2", "a", 10) and state.started("t2", 0) == 1
        state.put_back("t2")
        assert state.lease("t2", "b", 10)  # the lease went with it
        assert state.started("t2", 0) == 1  # ... and the run: no death is counted
        assert state.stats()["running"] == 1
    finally:
        if store == "redis":
            for key in state.r.scan_iter(f"{state.prefix}*"):  # type: ignore[attr-defined]
                state.r.delete(key)  # type: ignore[attr-defined]
        state.close()
