"""2,000 deliveries while the receiver restarts and a worker is SIGKILLed mid-task:
every event handled exactly once (at-least-once delivery plus dedupe), none lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from open_to_close import OpenToCloseAPI
from open_to_close.queue import connect
from open_to_close.sandbox import SandboxServer
from open_to_close.webhooks import WebhookHandler, create_webhook_app
from open_to_close.webhooks.server import BackgroundServer

REPO = Path(__file__).resolve().parents[2]
SECRET = "survival-secret-7d1"
EVENTS = 2000


def _worker(queue_url: str, results: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OTC_TEST_SECRET": SECRET,
        "OTC_TEST_RESULTS": str(results),
        "OTC_TEST_SLOW_ID": "300",
    }
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()", "worker"]
    command += ["-q", queue_url, "-i", "tests.webhooks._survival", "--visibility-timeout", "1"]
    return subprocess.Popen([*command, *extra], env=env, cwd=REPO, stderr=subprocess.DEVNULL)


def _wait(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_nothing_lost_nothing_twice(tmp_path: Path) -> None:
    queue_url = f"sqlite:///{tmp_path / 'events.db'}"
    results = tmp_path / "handled.db"
    queue = connect(queue_url)
    receiving = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 'seen.db'}")
    receiver = BackgroundServer(create_webhook_app(receiving, queue=queue)).start()
    worker = _worker(queue_url, results)
    processes = [worker]
    try:
        with (
            SandboxServer(api_key="k", webhook_secret=SECRET) as sb,
            OpenToCloseAPI("k", sb.base_url) as client,
        ):
            sb.subscribe(
                f"{receiver.url}/webhook/otc",
                events=["property.created"],
                max_retries=10,
                retry_backoff=0.1,
            )
            for n in range(EVENTS):
                client.properties.create_property({"address": f"{n} Survival Rd"})
                if n == EVENTS // 3:
                    receiver.stop()  # the receiver restarts while deliveries keep coming
                    receiver.start()
            _wait(Path(f"{results}.killme"))
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            assert sb.wait_for_webhooks(90)
            log = sb.deliveries()
        assert len(log) == EVENTS
        assert {d["status"] for d in log} == {"delivered"}
        sent = {d["event_id"] for d in log}
        finisher = _worker(queue_url, results, "--stop-when-idle")
        processes.append(finisher)
        assert finisher.wait(60) == 0
    finally:
        receiver.stop()
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    with sqlite3.connect(results) as db:
        handled = dict(db.execute("SELECT event_id, n FROM handled"))
    assert set(handled) == sent  # none lost
    assert set(handled.values()) == {1}  # none twice
    assert queue.stats() == {"pending": 0, "running": 0, "done": EVENTS, "dead": 0}
    queue.close()
    receiving.close()
