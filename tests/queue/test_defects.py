"""Regression tests of issue 11's queue and worker defects (each failed before its fix)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from open_to_close._serving import BackgroundServer
from open_to_close.queue.sqlite import SQLiteQueue
from open_to_close.queue.worker import PollingWorker


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def locked_q(tmp_path: Path) -> Iterator[SQLiteQueue]:
    """A queue whose statements give up on a lock after 0.1 s (instead of 30 s)."""
    queue = SQLiteQueue(str(tmp_path / "q.db"), visibility_timeout=5, busy_timeout=0.1)
    yield queue
    queue.close()


def lock(path: str) -> sqlite3.Connection:
    """Another process's writer holding the file's write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def start(worker: PollingWorker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


@pytest.mark.defect(1)
def test_the_worker_survives_a_locked_file_and_goes_on(locked_q: SQLiteQueue) -> None:
    seen: list[Any] = []
    locked_q.task(name="t")(seen.append)
    locked_q.enqueue("t", 1)
    other = lock(locked_q.path)
    worker = PollingWorker(locked_q, concurrency=2, poll_interval=0.02)
    thread = start(worker)
    try:
        time.sleep(0.8)  # every claim fails meanwhile
        assert thread.is_alive() and seen == []
        other.execute("ROLLBACK")
        wait_for(lambda: seen == [1])
    finally:
        worker.stop()
        thread.join(10)
        other.close()
    assert locked_q.stats() == {"pending": 0, "running": 0, "done": 1, "dead": 0}


@pytest.mark.defect(1)
def test_a_task_whose_settle_fails_is_settled_later_not_run_again(
    locked_q: SQLiteQueue,
) -> None:
    runs: list[Any] = []
    holders: list[sqlite3.Connection] = []

    def task(payload: Any) -> None:
        runs.append(payload)
        holders.append(lock(locked_q.path))  # the settle after this task finds it locked

    locked_q.task(name="t")(task)
    locked_q.enqueue("t", 1)
    worker = PollingWorker(locked_q, poll_interval=0.02)
    thread = start(worker)
    try:
        wait_for(lambda: bool(holders))
        time.sleep(0.5)
        holders[0].execute("ROLLBACK")
        wait_for(lambda: locked_q.stats()["done"] == 1)
    finally:
        worker.stop()
        thread.join(10)
        for held in holders:
            held.close()
    assert runs == [1] and thread.is_alive() is False


class _DyingWorker:
    """A worker role that returns on its own, as a worker whose threads died did."""

    def __init__(self) -> None:
        self.die = threading.Event()

    def run(self, stop_when_idle: bool = False) -> None:
        self.die.wait(30)

    def stop(self) -> None:
        self.die.set()


@pytest.mark.defect(1)
def test_a_dead_worker_role_fails_health_and_stops_the_service(
    sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from open_to_close.service.components import Components
    from open_to_close.service.config import parse_service_config
    from open_to_close.service.runner import Service

    monkeypatch.setenv("OTC_WEBHOOK_SECRET", "whsec-test")
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    config = parse_service_config(
        {
            "api": {"base_url": sb.base_url},
            "queue": {"url": f"sqlite:///{tmp_path}/q.db"},
            "state": {"url": f"sqlite:///{tmp_path}/s.db"},
            "server": {"port": 0, "shutdown_grace": 2},
        }
    )
    components = Components(config)
    dying = _DyingWorker()
    monkeypatch.setattr(type(components.queue), "worker", lambda self, n=1: dying)
    service = Service(components, ["web", "worker"]).start()
    try:
        assert httpx2.get(service.url + "/health").status_code == 200
        app = service._web.app  # type: ignore[union-attr]
        dying.die.set()
        assert service.wait(15), "the service kept running without its worker"
        assert service.failed == ["otc-worker stopped on its own"]

        async def health() -> httpx2.Response:
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get("/health")

        answer = asyncio.run(health())
        assert answer.status_code == 503 and "otc-worker" in answer.json()["error"]
    finally:
        service.stop()
        service.wait(15)


@pytest.mark.defect(7)
def test_only_the_running_task_counts_its_workers_death(tmp_path: Path) -> None:
    q = SQLiteQueue(str(tmp_path / "q.db"), visibility_timeout=0.2)
    ran: list[int] = []

    def killer(payload: Any) -> None:
        raise SystemExit("the worker dies here")  # its thread ends with nothing settled

    q.task(name="killer")(killer)
    q.task(name="record")(lambda payload: ran.append(payload))
    q.enqueue("killer", 0)
    for n in (1, 2, 3):
        q.enqueue("record", n)  # claimed with the killer: prefetched, never started
    for _ in range(q.max_lost + 1):
        with pytest.raises(RuntimeError, match="worker threads died"):
            PollingWorker(q, poll_interval=0.02).run(stop_when_idle=True)
        assert ran == []
        time.sleep(0.25)  # the dead worker's leases run out
    PollingWorker(q, poll_interval=0.02).run(stop_when_idle=True)
    assert sorted(ran) == [1, 2, 3]
    (letter,) = q.dead_letters()
    assert letter["name"] == "killer" and "died 4 times" in letter["error"]
    assert q.stats() == {"pending": 0, "running": 0, "done": 3, "dead": 1}
    q.close()


@pytest.mark.defect(10)
def test_a_locked_queue_answers_503_soon_and_freezes_no_other_request(tmp_path: Path) -> None:
    from open_to_close.webhooks import WebhookHandler, create_webhook_app

    from ..webhooks.conftest import SECRET, event, signed

    q = SQLiteQueue(str(tmp_path / "q.db"), enqueue_wait=1.0)
    handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    hooks = create_webhook_app(handler, "/webhook/otc", q)

    async def ping(request: Any) -> PlainTextResponse:
        return PlainTextResponse("pong")

    app = Starlette(routes=[*hooks.routes, Route("/ping", ping)])
    other = lock(q.path)
    answers: list[tuple[httpx2.Response, float]] = []

    def deliver() -> None:
        body, headers = signed(event())
        started = time.monotonic()
        answer = httpx2.post(url + "/webhook/otc", content=body, headers=headers, timeout=60)
        answers.append((answer, time.monotonic() - started))

    with BackgroundServer(app) as server:
        url = server.url
        senders = [threading.Thread(target=deliver) for _ in range(3)]
        for sender in senders:
            sender.start()
        try:
            time.sleep(0.3)  # the deliveries wait for the lock now
            started = time.monotonic()
            assert httpx2.get(url + "/ping", timeout=5).text == "pong"
            assert time.monotonic() - started < 0.5, "the event loop was blocked"
            for sender in senders:
                sender.join(30)
        finally:
            other.execute("ROLLBACK")
            other.close()
        for answer, took in answers:
            assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
            assert took < 5, f"a delivery waited {took:.1f} s for a locked queue"
        assert len(answers) == 3
        body, headers = signed(event())  # once the lock is gone, deliveries are taken
        assert httpx2.post(url + "/webhook/otc", content=body, headers=headers).status_code == 202
    assert q.stats()["pending"] == 1
    handler.close()
    q.close()


@pytest.mark.defect(12)
def test_broker_and_state_passwords_are_never_printed(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    from typer.testing import CliRunner

    from open_to_close.cli import app
    from open_to_close.queue import connect

    from .conftest import REPO, unique

    state = quote("redis://otc:rds-Secret-77@127.0.0.1:6379/0", safe="")  # never connected
    q = connect(f"amqp://guest:guest@127.0.0.1:5672//?queue={unique()}&state={state}")
    shown = repr(q)
    assert "guest:guest" not in shown and "rds-Secret-77" not in shown
    assert "guest:***@127.0.0.1" in shown and "otc:***@127.0.0.1" in shown
    q.close()

    url = f"amqp://guest:guest@127.0.0.1:5672//?queue={unique()}"
    url += f"&state=sqlite:///{tmp_path / 'state.db'}"
    stats = CliRunner().invoke(app, ["queue", "stats", "-q", url], env={"COLUMNS": "300"})
    assert stats.exit_code == 0, stats.output
    assert "guest:guest" not in stats.output and "guest:***@" in stats.output

    env = {**os.environ, "OTC_QUEUE_URL": url, "OTC_TEST_LOG": str(tmp_path / "log")}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()", "worker"]
    command += ["-q", url, "-i", "tests.queue._tasks", "--stop-when-idle"]
    env["COLUMNS"] = "300"
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, timeout=60)
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, output
    assert "guest:guest" not in output and "guest:***@" in output


@pytest.mark.defect(10)
def test_the_flask_blueprint_says_when_to_retry_too(tmp_path: Path) -> None:
    from flask import Flask

    from open_to_close.webhooks import WebhookHandler
    from open_to_close.webhooks.flask import create_webhook_blueprint

    from ..webhooks.conftest import SECRET, event, signed

    q = SQLiteQueue(str(tmp_path / "q.db"), enqueue_wait=0.5)
    handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    flask_app = Flask(__name__)
    flask_app.register_blueprint(create_webhook_blueprint(handler, queue=q))
    other = lock(q.path)
    try:
        body, headers = signed(event())
        answer = flask_app.test_client().post("/webhook/otc", data=body, headers=headers)
    finally:
        other.execute("ROLLBACK")
        other.close()
        q.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
