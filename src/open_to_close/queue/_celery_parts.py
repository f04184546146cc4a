"""Parts of a Celery worker of :mod:`.celery`: the leases it renews, a bootstep that wakes
its event loop, and putting a message back when its task's bookkeeping failed."""

from __future__ import annotations

import threading
import time
from typing import Any, NoReturn

from .._redact import get_logger
from .base import describe_error
from .celery_state import QueueState

log = get_logger("open_to_close.queue.celery")

LEASE = 10.0  # seconds a running task's lease lasts unless renewed (every third of it)
PUT_BACK_PAUSE = 1.0  # seconds before a message whose bookkeeping failed goes back
_WAKEUP = 0.2


def put_back(name: str, task_id: str, exc: BaseException) -> NoReturn:
    """Hand the message of a task back to the broker (Celery's ``Reject`` with requeue):
    the state store or the broker failed around the task, and a message acked now would
    be lost. After a pause, so an outage is not a busy loop of redeliveries."""
    from celery.exceptions import Reject

    log.error(
        "task %s #%s: its state or its broker failed (%s); its message goes back to the "
        "broker, to be run again",
        name,
        task_id,
        describe_error(exc),
    )
    time.sleep(PUT_BACK_PAUSE)
    raise Reject(describe_error(exc), requeue=True) from None


class Leases:
    """The leases of the tasks running in this process, renewed every third of ``LEASE``."""

    def __init__(self, state: QueueState) -> None:
        self.state = state
        self.held: dict[str, str] = {}  # task id -> holder
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, task_id: str, holder: str) -> None:
        with self._lock:
            self.held[task_id] = holder
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._renew, name="otc-celery-leases", daemon=True
                )
                self._thread.start()

    def drop(self, task_id: str) -> None:
        with self._lock:
            self.held.pop(task_id, None)

    def _renew(self) -> None:
        while not self._closed.wait(LEASE / 3):
            with self._lock:
                held = dict(self.held)
            if held:
                try:
                    self.state.renew(held, LEASE)
                except Exception:
                    log.exception("could not renew the leases of running tasks")

    def close(self) -> None:
        self._closed.set()


def wakeup_step() -> Any:
    """A worker bootstep that wakes the event loop every ``_WAKEUP`` seconds.

    An idle Celery loop sleeps in its poll for up to ~10 s and only then notices a stop
    request; a cheap repeating timer bounds that, so ``stop()`` returns promptly.
    """
    from celery import bootsteps

    class Wakeup(bootsteps.StartStopStep):  # type: ignore[misc]
        requires = ("celery.worker.components:Timer",)

        def start(self, worker: Any) -> None:
            worker.timer.call_repeatedly(_WAKEUP, _nothing)

    return Wakeup


def _nothing() -> None:
    pass
