"""Helpers for queue tests: a worker in a subprocess, and unique names on shared brokers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
AMQP = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/0"


def unique(prefix: str = "otc-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def celery_url(broker: str, tmp: Path) -> str:
    name = unique()
    if broker == "amqp":
        return f"{AMQP}?queue={name}&state=sqlite:///{tmp / 'state.db'}"
    return f"{REDIS}?queue={name}"


def start_worker(
    url: str, log: Path, *extra: str, tasks: str = "tests.queue._tasks"
) -> subprocess.Popen[bytes]:
    """``otc worker -i tests.queue._tasks`` (or another ``tasks`` module) in its own process."""
    env = {**os.environ, "OTC_QUEUE_URL": url, "OTC_TEST_LOG": str(log), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()"]
    command += ["worker", "-i", tasks]
    return subprocess.Popen(
        [*command, *extra], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


def kill_mid_task(url: str, log: Path, *extra: str) -> None:
    """Start a worker, wait until it is inside the ``slow`` task, and SIGKILL it."""
    worker = start_worker(url, log, *extra)
    try:
        wait_for(Path(f"{log}.started"))
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        assert worker.stderr is not None
        worker.stderr.close()


def run_until_idle(url: str, log: Path, *extra: str) -> bytes:
    """Run a worker subprocess with ``--stop-when-idle``; its stderr."""
    worker = start_worker(url, log, *extra, "--stop-when-idle")
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    return err


def lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def purge(queue: Any) -> None:
    """Delete a Celery queue's broker queue and its Redis state (SQL state is in tmp_path)."""
    with queue.app.connection_for_write() as conn:
        with contextlib.suppress(Exception):  # already gone
            conn.default_channel.queue_delete(queue.queue_name)
    state: Any = queue.state
    if hasattr(state, "r"):
        for key in state.r.scan_iter(f"{state.prefix}*"):
            state.r.delete(key)
