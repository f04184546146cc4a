"""A task that outlives a short visibility timeout (``otc worker -i tests.queue._lease_tasks``).

It retries nothing, so a worker running only it keeps the Redis broker's visibility
timeout short: the test sees what a redelivered copy of a running task does.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from open_to_close.queue import connect

queue = connect(os.environ["OTC_QUEUE_URL"])
RUNS_FOR = 20.0  # seconds: longer than the shortest visibility timeout a worker may use


def _log(line: str) -> None:
    with Path(os.environ["OTC_TEST_LOG"]).open("a") as f:
        f.write(line + "\n")


@queue.task(name="outlive", max_retries=0)
def outlive(payload: Any) -> None:
    _log(f"start {payload['n']}")
    Path(os.environ["OTC_TEST_LOG"] + ".started").touch()
    time.sleep(RUNS_FOR)
    _log(f"end {payload['n']}")
