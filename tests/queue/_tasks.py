"""Tasks for worker subprocesses (``otc worker -i tests.queue._tasks``).

Each task appends a line to the file named by ``OTC_TEST_LOG`` when it ends well, so a
test can count runs across processes; ``slow`` first writes a marker and waits, giving
the test a moment to SIGKILL the worker mid-task.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from open_to_close.queue import connect

queue = connect(os.environ["OTC_QUEUE_URL"])


def _log(line: str) -> None:
    with Path(os.environ["OTC_TEST_LOG"]).open("a") as f:
        f.write(line + "\n")
        f.flush()


@queue.task(name="record")
def record(payload: Any) -> None:
    _log(f"record {payload['n']}")


@queue.task(name="slow", max_retries=3, retry_backoff=60)
def slow(payload: Any) -> None:
    marker = Path(os.environ["OTC_TEST_LOG"] + ".started")
    if not marker.exists():
        marker.write_text("started")
        time.sleep(30)  # the test kills us here
    _log(f"slow {payload['n']}")


@queue.task(name="fails", max_retries=1, retry_backoff=0.01)
def fails(payload: Any) -> None:
    if not Path(os.environ["OTC_TEST_LOG"] + ".fixed").exists():
        raise RuntimeError("not fixed yet")
    _log(f"fails {payload['n']}")
