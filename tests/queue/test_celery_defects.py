"""Regression tests of issue 11's Celery defects (#3, #4), on the real RabbitMQ and Redis."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
import pytest

from open_to_close.queue import connect
from open_to_close.queue.celery import CeleryQueue
from open_to_close.queue.celery_state import open_state

from .conftest import REDIS, lines, purge, start_worker, unique, wait_for

LEASE_TASKS = "tests.queue._lease_tasks"


@pytest.mark.defect(4)
def test_a_task_outliving_the_visibility_timeout_runs_once(tmp_path: Path) -> None:
    """A second worker starting after the visibility timeout gets the running task's message
    again (Redis hands it back); the lease keeps it from running the task a second time."""
    url = f"{REDIS}?queue={unique()}"
    log = tmp_path / "runs.log"
    queue = connect(url)
    assert isinstance(queue, CeleryQueue)
    workers = []
    try:
        queue.enqueue("outlive", {"n": 1})
        options = ("--visibility-timeout", "1", "--stop-when-idle")
        workers.append(start_worker(url, log, *options, tasks=LEASE_TASKS))
        wait_for(Path(f"{log}.started"))
        time.sleep(11)  # past the longest visibility timeout that worker may use (10 s)
        workers.append(start_worker(url, log, *options, tasks=LEASE_TASKS))
        errors = [worker.communicate(timeout=90)[1].decode() for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], errors
        assert lines(log) == ["start 1", "end 1"]
        said = " ".join(errors[1].split())  # the log lines wrap at the terminal's width
        assert "delivered again while another worker runs it" in said
        assert queue.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        purge(queue)
        queue.close()


@pytest.mark.defect(4)
def test_the_redis_broker_waits_past_the_longest_retry(tmp_path: Path) -> None:
    queue = connect(f"{REDIS}?queue={unique()}")  # visibility_timeout: 30 s, the default
    assert isinstance(queue, CeleryQueue)
    try:
        queue.task(name="quick", max_retries=0)(print)
        assert queue.broker_visibility_timeout() == 30  # the setting, past a copy's 5 s check
        queue.task(name="webhook")(print)  # the default policy: 60, 120, 240 s
        assert queue.broker_visibility_timeout() == 300  # 240 s + a quarter
        queue.worker().run(stop_when_idle=True)
        with queue.app.connection_for_read() as conn:
            assert conn.default_channel.visibility_timeout == 300
        for setting, expected in ((1, 10), (900, 900)):  # 10: the copy's check + 5 s
            other = CeleryQueue(f"{REDIS}?queue={unique()}", visibility_timeout=setting)
            other.task(name="quick", max_retries=0)(print)
            assert other.broker_visibility_timeout() == expected
            other.close()
    finally:
        purge(queue)
        queue.close()


@pytest.mark.defect(4)
@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_a_lease_and_an_attempt_admit_one_run(store: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}" if store == "sqlite" else REDIS
    state = open_state(url, prefix=f"otc:{unique()}:")
    try:
        state.enqueued("t1", "job")
        assert state.lease("t1", "a", 0.3) and not state.lease("t1", "b", 0.3)
        state.renew({"t1": "a"}, 0.3)
        time.sleep(0.2)
        assert not state.lease("t1", "b", 0.3)  # renewed: still a's
        state.release("t1", "b")  # not b's to release
        assert not state.lease("t1", "b", 0.3)
        time.sleep(0.35)
        assert state.lease("t1", "b", 10)  # a stopped renewing (died): b takes it over
        assert state.started("t1", 0) == 1
        state.waiting("t1")  # attempt 0 failed; its retry is attempt 1; the lease is dropped
        assert state.lease("t1", "c", 10)
        assert state.started("t1", 0) is None  # a stale copy of attempt 0 runs nothing
        assert state.started("t1", 1) == 2
        state.done("t1")
        assert state.lease("t1", "d", 10)  # done dropped the lease; the record is gone
        assert state.started("t1", 1) is None
        assert state.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}
    finally:
        if store == "redis":
            for key in state.r.scan_iter(f"{state.prefix}*"):  # type: ignore[attr-defined]
                state.r.delete(key)  # type: ignore[attr-defined]
        state.close()


@pytest.mark.defect(3)
def test_no_202_before_rabbitmq_has_the_event(tmp_path: Path) -> None:
    """The broker link goes quiet (what the receiver sends never arrives), then drops: the
    delivery is answered 503, not 202, and the sender's retry is queued, not a duplicate."""
    from open_to_close._serving import BackgroundServer
    from open_to_close.webhooks import WebhookHandler, create_webhook_app

    from ..cache._proxy import TcpProxy
    from ..webhooks.conftest import SECRET, event, signed

    proxy = TcpProxy(("127.0.0.1", 5672))
    proxy.start()
    url = f"amqp://guest:guest@127.0.0.1:{proxy.port}//?queue={unique()}"
    queue = connect(f"{url}&state=sqlite:///{tmp_path / 'state.db'}")
    assert isinstance(queue, CeleryQueue)
    handled: list[str] = []
    handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    handler.on("property.created")(lambda data: handled.append(data["id"]))
    first, lost = event(), event()
    try:
        with BackgroundServer(create_webhook_app(handler, queue=queue)) as server:

            def deliver(data: dict[str, object]) -> httpx2.Response:
                body, headers = signed(data)
                return httpx2.post(
                    f"{server.url}/webhook/otc", content=body, headers=headers, timeout=60
                )

            assert deliver(first).status_code == 202  # the link is up
            proxy.swallow.set()  # ... and goes quiet
            started = time.monotonic()
            answer = deliver(lost)
            took = time.monotonic() - started
            proxy.stop()  # ... and drops
            proxy.swallow.clear()
            proxy.start()  # the broker is back
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5" and took < 10, took
            print(f"the unconfirmed enqueue was answered 503 in {took:.1f} s")
            retried = deliver(lost)  # the sender's retry
            assert retried.status_code == 202, retried.text
        queue.worker().run(stop_when_idle=True)
        assert sorted(handled) == sorted([first["id"], lost["id"]])
        assert queue.stats() == {"pending": 0, "running": 0, "done": 2, "dead": 0}
    finally:
        proxy.swallow.clear()
        purge(queue)
        queue.close()
        proxy.stop()
        handler.close()
