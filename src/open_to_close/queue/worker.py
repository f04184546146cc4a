"""The worker of the embedded queue: threads that claim, run, and settle tasks.

Each thread claims a small batch in one transaction and settles each task in its own
short one as soon as it ends, so a worker killed mid-batch re-runs only the task it was
in (after the visibility timeout) and the tasks it had not started. A heartbeat thread
keeps extending the leases of the tasks in hand, so a long task is not taken from a live
worker. ``stop()`` (or SIGTERM/Ctrl-C in ``otc worker``) finishes the running tasks and
hands the unstarted ones back.
"""

from __future__ import annotations

import logging
import threading
import time

from .base import describe_error
from .sqlite import Job, SQLiteQueue

log = logging.getLogger(__name__)

DEFAULT_PREFETCH = 16
DEFAULT_POLL_INTERVAL = 0.5


class PollingWorker:
    def __init__(
        self,
        queue: SQLiteQueue,
        concurrency: int = 1,
        *,
        prefetch: int = DEFAULT_PREFETCH,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency!r}")
        self.queue = queue
        self.concurrency = concurrency
        self.prefetch = max(1, prefetch)
        self.poll_interval = poll_interval
        self.processed = 0
        self.failed = 0
        self._stopping = threading.Event()
        self._held: dict[int, int] = {}  # claim token -> tasks of it not settled yet
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Finish the tasks running now, hand back the rest, and return from ``run``."""
        self._stopping.set()
        with self.queue.wakeup:
            self.queue.wakeup.notify_all()

    def run(self, stop_when_idle: bool = False) -> None:
        """Work until :meth:`stop` (or, with ``stop_when_idle``, until the queue is empty)."""
        self._stopping.clear()
        threads = [
            threading.Thread(target=self._loop, args=(stop_when_idle,), name=f"otc-worker-{n}")
            for n in range(self.concurrency)
        ]
        beat = threading.Thread(target=self._heartbeat, name="otc-worker-heartbeat", daemon=True)
        for thread in threads:
            thread.start()
        beat.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        except KeyboardInterrupt:
            self.stop()
            for thread in threads:
                thread.join()
        finally:
            self._stopping.set()
            beat.join(5)

    # -- threads -------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        interval = self.queue.visibility_timeout / 3
        while not self._stopping.wait(interval):
            with self._lock:
                tokens = set(self._held)
            try:
                self.queue.extend(tokens)
            except Exception:
                log.exception("could not extend the leases of running tasks")

    def _loop(self, stop_when_idle: bool) -> None:
        queue = self.queue
        while not self._stopping.is_set():
            jobs = queue.claim(self.prefetch)
            if not jobs:
                self._idle(stop_when_idle)
                continue
            with self._lock:
                self._held[jobs[0].token] = len(jobs)
            try:
                for n, job in enumerate(jobs):
                    if self._stopping.is_set():
                        queue.hand_back(jobs[n:])
                        break
                    self._run(job)
            finally:
                with self._lock:
                    self._held.pop(jobs[0].token, None)

    def _idle(self, stop_when_idle: bool) -> None:
        due = self.queue.next_due()
        if due is None and stop_when_idle:
            self.stop()
            return
        wait = self.poll_interval if due is None else min(self.poll_interval, due - time.time())
        if wait > 0:
            with self.queue.wakeup:
                self.queue.wakeup.wait(wait)

    def _run(self, job: Job) -> None:
        queue = self.queue
        spec = queue.tasks.get(job.name)
        try:
            if spec is None:
                raise LookupError(
                    f"no task named {job.name!r} is registered in this worker "
                    "(import the module that defines it)"
                )
            spec.run(job.decoded())
        except Exception as exc:
            self.failed += 1
            error = describe_error(exc)
            delay = queue.failed(job, spec, error)
            if delay is None:
                log.error("task %s #%s dead-lettered: %s", job.name, job.id, error)
            else:
                log.warning(
                    "task %s #%s failed (%s), retry in %.3g s", job.name, job.id, error, delay
                )
            return
        queue.succeeded([job])
        self.processed += 1
