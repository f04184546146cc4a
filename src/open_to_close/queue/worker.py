"""The worker of the embedded queue: threads that claim, run, and settle tasks.

Each thread claims a small batch in one transaction and settles each task in its own
short one as soon as it ends, so a worker killed mid-batch re-runs only the task it was
in (after the visibility timeout) and the tasks it had not started. A heartbeat thread
keeps extending the leases of the tasks in hand, so a long task is not taken from a live
worker. ``stop()`` (or SIGTERM/Ctrl-C in ``otc worker``) finishes the running tasks and
hands the unstarted ones back.

The queue file can fail a claim or a settle (locked past the busy timeout, a full disk):
the thread logs it, waits (longer each time, up to ``MAX_BACKOFF``) and tries again, so
a worker never dies of it. A task that ran and could not be settled is settled again,
not run again. Should a thread die all the same, ``run`` raises instead of returning.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .._redact import get_logger
from . import settle
from .base import describe_error
from .sqlite import Job, SQLiteQueue

log = get_logger(__name__)
T = TypeVar("T")

DEFAULT_PREFETCH = 16
DEFAULT_POLL_INTERVAL = 0.5
MAX_BACKOFF = 30.0


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
        self._crashed: list[str] = []

    def stop(self) -> None:
        """Finish the tasks running now, hand back the rest, and return from ``run``."""
        self._stopping.set()
        with self.queue.wakeup:
            self.queue.wakeup.notify_all()

    def run(self, stop_when_idle: bool = False) -> None:
        """Work until :meth:`stop` (or, with ``stop_when_idle``, until the queue is empty)."""
        self._stopping.clear()
        self._crashed.clear()
        threads = [
            threading.Thread(target=self._guarded, args=(stop_when_idle,), name=f"otc-worker-{n}")
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
        if self._crashed:
            raise RuntimeError(f"worker threads died: {'; '.join(self._crashed)}")

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

    def _guarded(self, stop_when_idle: bool) -> None:
        try:
            self._loop(stop_when_idle)
        except BaseException as exc:
            self._crashed.append(f"{threading.current_thread().name}: {describe_error(exc)}")
            log.exception("a worker thread died; stopping the worker")
            self.stop()

    def _loop(self, stop_when_idle: bool) -> None:
        errors = 0
        while not self._stopping.is_set():
            try:
                self._step(stop_when_idle)
            except Exception:
                errors += 1
                wait = self._backoff(errors)
                log.exception("the queue %s failed; trying again in %.3g s", self.queue.url, wait)
                self._stopping.wait(wait)
            else:
                errors = 0

    def _backoff(self, errors: int) -> float:
        return float(min(MAX_BACKOFF, max(self.poll_interval, 0.05) * 2 ** min(errors - 1, 10)))

    def _step(self, stop_when_idle: bool) -> None:
        queue = self.queue
        jobs = queue.claim(self.prefetch)
        if not jobs:
            self._idle(stop_when_idle)
            return
        with self._lock:
            self._held[jobs[0].token] = len(jobs)
        try:
            for n, job in enumerate(jobs):
                if self._stopping.is_set():
                    self._settle(queue.hand_back, jobs[n:])
                    break
                self._run(job, jobs[n + 1] if n + 1 < len(jobs) else None)
        finally:
            with self._lock:
                self._held.pop(jobs[0].token, None)

    def _settle(self, action: Callable[..., T], *args: Any) -> tuple[bool, T | None]:
        """``(True, action(*args))``, tried again until it works (its task has run: never
        re-run it for a locked file); ``(False, None)`` if the worker is stopping and it
        still fails (the task is run again after the visibility timeout)."""
        errors = 0
        while True:
            try:
                return True, action(*args)
            except Exception:
                errors += 1
                if self._stopping.is_set():
                    log.exception("could not settle tasks of %s; giving up", self.queue.url)
                    return False, None
                wait = self._backoff(errors)
                log.exception("could not settle a task; trying again in %.3g s", wait)
                self._stopping.wait(wait)

    def _idle(self, stop_when_idle: bool) -> None:
        due = self.queue.next_due()
        if due is None and stop_when_idle:
            self.stop()
            return
        wait = self.poll_interval if due is None else min(self.poll_interval, due - time.time())
        if wait > 0:
            with self.queue.wakeup:
                self.queue.wakeup.wait(wait)

    def _run(self, job: Job, following: Job | None) -> None:
        """Run ``job``; its settle marks ``following`` as started (see :mod:`.sqlite`)."""
        queue = self.queue
        try:
            queue.run_task(job.name, job.decoded())
        except Exception as exc:
            self.failed += 1
            spec = queue.tasks.get(job.name)
            verdict = settle.failed(
                spec, job.name, job.id, job.failures, describe_error(exc), job.lost
            )
            if self._settle(queue.failed, job, verdict, following)[0]:
                verdict.log()
            return
        self._settle(queue.succeeded, [job], following)
        self.processed += 1
