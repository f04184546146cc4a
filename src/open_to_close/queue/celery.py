"""The distributed backend: Celery on RabbitMQ (``amqp://``) or Redis (``redis://``).

Every task of the queue travels as one Celery task, ``otc.run(name, payload)``, so a
worker that lacks a task's code fails it (and in the end dead-letters it, to be retried
once fixed) instead of dropping the message as an unregistered task. Messages are acked
late (after the task ends) and rejected back to the broker when the worker process dies,
so a killed worker loses nothing. Retries follow the same policy as the SQLite queue
(``retry_backoff * 2**n``, then the dead-letter store; decided in :mod:`.settle`), and the
dead letters live with the task states in :mod:`.celery_state` (the broker's Redis, or SQL).

A broker may hand out a message again while a worker still runs its task: Redis once the
message has gone unacked for its visibility timeout, RabbitMQ when a live worker's
connection drops. So a worker takes the task's lease (:mod:`.celery_state`) before it
starts it and renews it while it runs; a copy that finds the lease taken runs nothing and
sends itself again ``DEFER`` seconds later (should the holder die, its lease expires and
the copy runs the task). On Redis a retry waits inside the worker, unacked, for its
countdown, so a worker raises the broker's visibility timeout past the longest countdown
its tasks can wait (:meth:`CeleryQueue.broker_visibility_timeout`).

Nothing is taken for queued before the broker has it: on RabbitMQ every publish waits for
the broker's confirm (publisher confirms), at most ``PUBLISH_TIMEOUT`` seconds, and is
tried once more on a fresh connection; an enqueue that is not confirmed raises (the
webhook receiver then answers 503 and forgets the event, so the sender's retry brings it
again). Redis answers each publish itself.
"""

from __future__ import annotations

import socket
import threading
import uuid
import warnings
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._claims import Claim
from .._optional import require
from .._redact import get_logger, mask_url
from .._urls import home_url
from . import settle
from ._celery_parts import LEASE, Leases, put_back, wakeup_step
from .base import (
    DeadLetterNotFoundError,
    KeyInProgressError,
    TaskQueue,
    describe_error,
    encode_payload,
)
from .celery_state import QueueState, open_state
from .settle import DEFAULT_MAX_LOST

log = get_logger(__name__)

DEFAULT_QUEUE = "otc"
DEFAULT_STATE = home_url("queue-state.db")
RUN_TASK = "otc.run"
DEFER = 5.0  # seconds before a copy of a running task checks again
MARGIN = 5.0  # seconds (at least) of visibility timeout past the longest countdown
PUBLISH_TIMEOUT = 2.5  # seconds a publish waits for RabbitMQ's confirm, and a connect
_PUBLISH = {"confirm_timeout": PUBLISH_TIMEOUT}
# One more try on a fresh connection (a pooled one may have died while idle), no more: an
# enqueue (a webhook sender waits for it) ends within 3 * PUBLISH_TIMEOUT (+ 0.5 s).
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
_KEY_LEASE = 10.0


def split_url(url: str) -> tuple[str, str, str]:
    """``(broker URL, queue name, state URL)`` from a queue URL and its own parameters."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    name = params.pop("queue", DEFAULT_QUEUE) or DEFAULT_QUEUE
    state = params.pop("state", None)
    broker = urlunsplit(parts._replace(query=urlencode(params)))
    default_state = broker if parts.scheme.startswith("redis") else DEFAULT_STATE
    return broker, name, state or default_state


def masked_url(url: str) -> str:
    """``url`` with the password of the broker, and of a ``?state=`` URL, shown as ``***``
    (as the caches show theirs); each password is also masked wherever it is logged."""
    masked = mask_url(url)
    parts = urlsplit(masked)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == "state" for key, _ in params):
        return masked
    inner = [(k, masked_url(v) if k == "state" else v) for k, v in params]
    return urlunsplit(parts._replace(query=urlencode(inner, safe="*:/@")))


class CeleryQueue(TaskQueue):
    def __init__(
        self, url: str, *, visibility_timeout: float = 30.0, max_lost: int = DEFAULT_MAX_LOST
    ) -> None:
        super().__init__()
        celery = require("celery", "celery", "The Celery queue")
        self.url = masked_url(url)  # for people to read: repr, logs, ``otc queue stats``
        broker, self.queue_name, state_url = split_url(url)
        self.max_lost = max_lost
        self.visibility_timeout = float(visibility_timeout)
        self.on_redis = urlsplit(broker).scheme.startswith("redis")
        self.app = celery.Celery(f"otc-{self.queue_name}", broker=broker, set_as_current=False)
        self.app.conf.update(
            task_serializer="json",
            accept_content=["json"],
            result_serializer="json",
            task_ignore_result=True,
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            # A task running when the broker link drops finishes; its message comes back
            # (no ack on a lost link), and that copy waits on the task's lease, then finds
            # it settled. Cancelling it instead would run its side effects twice.
            worker_cancel_long_running_tasks_on_connection_loss=False,
            task_default_queue=self.queue_name,
            broker_transport_options=(
                {"visibility_timeout": visibility_timeout}
                if self.on_redis
                else {"confirm_publish": True}
            ),
            task_publish_retry_policy=_PUBLISH_RETRY,
            broker_connection_timeout=PUBLISH_TIMEOUT,
            broker_connection_retry_on_startup=True,
            worker_hijack_root_logger=False,
            worker_redirect_stdouts=False,
            enable_utc=True,
            timezone="UTC",
        )
        # ``otc:queue:<name>:``, beside ``otc:webhooks:`` (dedupe) and never inside it, whatever
        # the queue's name (a queue called "webhooks" included).
        self.state: QueueState = open_state(state_url, prefix=f"otc:queue:{self.queue_name}:")
        self._leases = Leases(self.state)
        self.app.steps["worker"].add(wakeup_step())

        def run(celery_task: Any, name: str, payload: Any) -> None:
            from celery.exceptions import Retry

            try:
                self._execute(celery_task, name, payload)
            except Retry:
                raise
            except Exception as exc:  # a task's own errors are settled in _run_leased
                put_back(name, str(celery_task.request.id), exc)

        self._run = self.app.task(
            name=RUN_TASK,
            bind=True,
            acks_late=True,
            reject_on_worker_lost=True,
            max_retries=None,  # the retry policy is ours, per registered task
            shared=False,  # each queue is its own Celery app
        )(run)

    # -- producing -----------------------------------------------------------------------

    def enqueue(self, name: str, payload: Any = None) -> str:
        encode_payload(name, payload)
        task_id = uuid.uuid4().hex
        # The state first: a worker may start the task before apply_async returns.
        self.state.enqueued(task_id, name)
        try:
            self._run.apply_async(
                args=(name, payload), task_id=task_id, queue=self.queue_name, **_PUBLISH
            )
        except BaseException:
            self.state.forget(task_id)
            raise
        return task_id

    def enqueue_once(self, name: str, payload: Any, key: str) -> tuple[str, bool]:
        claim = self.state.keys.claim(key, _KEY_LEASE)
        if claim is Claim.DONE:
            return "", False
        if claim is Claim.BUSY:
            raise KeyInProgressError(key)
        try:
            task_id = self.enqueue(name, payload)
        except BaseException:
            self.state.keys.release(key)
            raise
        self.state.keys.complete(key)
        return task_id, True

    # -- running -------------------------------------------------------------------------

    def broker_visibility_timeout(self) -> float:
        """Seconds a Redis broker lets a message go unacked before it hands it out again:
        ``visibility_timeout``, raised past the longest countdown a message of this
        worker's tasks waits in it (a retry's delay, a copy's ``DEFER``) plus a quarter of
        that (``MARGIN`` at least): 300 s for the default policy (a last delay of 240 s)."""
        longest = max([DEFER, *(spec.longest_delay for spec in self.tasks.values())])
        return max(self.visibility_timeout, longest + max(MARGIN, longest / 4))

    def _execute(self, celery_task: Any, name: str, payload: Any) -> None:
        task_id = str(celery_task.request.id)
        attempt = int(celery_task.request.retries or 0)
        holder = uuid.uuid4().hex
        if not self.state.lease(task_id, holder, LEASE):
            log.warning(
                "task %s #%s was delivered again while another worker runs it; "
                "this copy checks again in %g s",
                name,
                task_id,
                DEFER,
            )
            self._run.apply_async(
                args=(name, payload),
                task_id=task_id,
                queue=self.queue_name,
                countdown=DEFER,
                retries=attempt,
                **_PUBLISH,
            )
            return
        self._leases.hold(task_id, holder)
        settled = False
        try:
            settled = self._run_leased(celery_task, task_id, name, payload, attempt)
        finally:
            self._leases.drop(task_id)
            if not settled:  # every settle drops the lease itself
                self.state.release(task_id, holder)

    def _run_leased(
        self, celery_task: Any, task_id: str, name: str, payload: Any, failures: int
    ) -> bool:
        """Run a task whose lease this worker holds; False if it was settled already."""
        starts = self.state.started(task_id, failures)
        if starts is None:
            log.info("task %s #%s is already settled; skipping a repeated message", name, task_id)
            return False
        lost = starts - 1 - failures  # starts that ended in no settle: its worker died
        verdict = settle.lost(name, task_id, failures, lost, self.max_lost)
        if verdict is None:
            try:
                self.run_task(name, payload)
            except Exception as exc:
                error = describe_error(exc)
                verdict = settle.failed(self.tasks.get(name), name, task_id, failures, error, lost)
                if verdict.retry_in is not None:
                    # Celery logs the error it is given: the redacted text, never the raw one.
                    stand_in = RuntimeError(verdict.error)
                    retry = self._send_retry(celery_task, task_id, stand_in, verdict.retry_in)
                    self.state.waiting(task_id)
                    verdict.log()
                    raise retry from None
            else:
                self.state.done(task_id)
                return True
        self.state.bury(task_id, name, payload, verdict.error, verdict.attempts)
        verdict.log()
        return True

    def _send_retry(
        self, celery_task: Any, task_id: str, exc: Exception, delay: float
    ) -> BaseException:
        """Publish the task's retry, before its state says it waits for one (a retry
        marked first but never sent would leave the task pending for good). Should the
        broker refuse it, the run is undone (it counts neither a failure nor a death)
        and the message goes back: the task runs again."""
        from celery.exceptions import Reject

        try:
            retry: BaseException = celery_task.retry(
                countdown=delay, exc=exc, throw=False, **_PUBLISH
            )
        except Reject as refused:
            self.state.put_back(task_id)
            cause = refused.reason if isinstance(refused.reason, Exception) else refused
            raise RuntimeError(f"its retry could not be sent: {describe_error(cause)}") from None
        return retry

    def worker(self, concurrency: int = 1) -> CeleryWorker:
        return CeleryWorker(self, concurrency)

    # -- inspection ----------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        return self.state.stats()

    def dead_letters(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.state.dead_letters(limit)

    def dead_letter_page(
        self, limit: int, before: str | None = None, after: str | None = None
    ) -> list[dict[str, Any]]:
        def number(cursor: str | None) -> int | None:
            if cursor is None:
                return None
            if not cursor.isdigit():
                raise DeadLetterNotFoundError(cursor)
            return int(cursor)

        return self.state.dead_letter_page(limit, number(before), number(after))

    def retry_dead_letter(self, dead_letter_id: str | int) -> str:
        letter = self.state.take_dead_letter(str(dead_letter_id))
        return self.enqueue(letter["name"], letter["payload"])

    def discard_dead_letter(self, dead_letter_id: str | int) -> None:
        self.state.take_dead_letter(str(dead_letter_id))

    def close(self) -> None:
        self._leases.close()
        self.state.close()
        self.app.close()


class CeleryWorker:
    """A Celery worker in this process (thread pool), consuming this queue."""

    def __init__(self, queue: CeleryQueue, concurrency: int = 1, *, idle_check: float = 0.2):
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency!r}")
        self.queue = queue
        self.concurrency = concurrency
        self.idle_check = idle_check
        self._stopped = threading.Event()

    def run(self, stop_when_idle: bool = False) -> None:
        from celery.app.trace import setup_worker_optimizations
        from celery.worker import WorkController
        from celery.worker import state as worker_state

        self._stopped.clear()
        app = self.queue.app
        # What ``celery worker`` does before it builds its controller; without it the
        # pool's threads can't find the tasks. One worker per process at a time.
        app.set_current()
        app.finalize()
        setup_worker_optimizations(app)
        if self.queue.on_redis:
            timeout = self.queue.broker_visibility_timeout()
            options = app.conf.broker_transport_options
            app.conf.broker_transport_options = {**options, "visibility_timeout": timeout}
            log.info("the Redis broker's visibility timeout for this worker: %g s", timeout)
        # Celery warns on every lost link that running tasks are not cancelled; that is the
        # choice made above (worker_cancel_long_running_tasks_on_connection_loss=False).
        warnings.filterwarnings(
            "ignore", message=r"\s*In Celery 5\.1 we introduced an optional breaking change"
        )
        controller = WorkController(
            app=app,
            concurrency=self.concurrency,
            pool="threads",
            hostname=f"otc-{uuid.uuid4().hex[:8]}@{socket.gethostname()}",
            loglevel="WARNING",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        monitor = None
        if stop_when_idle:
            monitor = threading.Thread(target=self._stop_when_idle, daemon=True)
            monitor.start()
        try:
            controller.start()
        finally:
            self._stopped.set()
            worker_state.should_stop = None
            worker_state.should_terminate = None
            if monitor is not None:
                monitor.join(5)

    def _stop_when_idle(self) -> None:
        quiet = 0
        while not self._stopped.wait(self.idle_check):
            try:
                counts = self.queue.stats()
            except Exception as exc:  # the state store is down: not idle, ask again
                log.warning("can't read the queue's state to see if it is idle: %s", exc)
                quiet = 0
                continue
            quiet = quiet + 1 if counts["pending"] == 0 and counts["running"] == 0 else 0
            if quiet >= 2:  # twice in a row: not a task between two states
                # Nothing is running, so the quick (cold) shutdown drops no work.
                from celery.worker import state as worker_state

                worker_state.should_terminate = 0
                return

    def stop(self) -> None:
        """Warm shutdown: running tasks finish, unstarted messages go back to the broker."""
        from celery.worker import state as worker_state

        worker_state.should_stop = 0
