"""The integration's own queue task for the Queue page: it fails until its flag file exists
(the CRM it calls is "down"), so it lands in the dead letters; retried once the flag is
there, it finishes. ``otc worker --import tests.console_browser._flaky:tasks`` runs it."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

FLAKY = "console-test.flaky"
DOWN = "the CRM is down (no flag file yet)"


def flaky(payload: dict[str, Any]) -> str:
    if not Path(payload["flag"]).exists():
        raise ConnectionError(DOWN)
    return "sent"


@cache
def _tasks() -> Any:
    from open_to_close.queue import connect

    queue = connect(os.environ["OTC_QUEUE_URL"])  # the worker's queue (`otc worker` reads it)
    queue.task(name=FLAKY, max_retries=1, retry_backoff=0.05)(flaky)
    return queue


def __getattr__(name: str) -> Any:
    # ``tasks`` is made when the worker asks for it: the tests import FLAKY without a queue.
    if name == "tasks":
        return _tasks()
    raise AttributeError(name)
