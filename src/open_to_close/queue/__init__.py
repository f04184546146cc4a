"""Durable task queues: an embedded SQLite queue, and Celery on RabbitMQ or Redis.

::

    from open_to_close import queue as otc_queue

    q = otc_queue.connect()        # .otc/queue.db; or "amqp://guest:guest@host//"

    @q.task(name="crm.sync", max_retries=3, retry_backoff=60)
    def sync_to_crm(payload):
        ...

    q.enqueue("crm.sync", {"property_id": 7})
    q.worker(concurrency=4).run()  # or: otc worker -i myapp.tasks

The same names, retry policy (``retry_backoff * 2**n``) and dead-letter store on every
backend. ``open_to_close.queue.rabbitmq`` is the guide's four-queue RabbitMQ bridge.
"""

from __future__ import annotations

from urllib.parse import unquote

from .._urls import check_scheme, home_url, make_home, url_scheme
from .base import DeadLetterNotFoundError, KeyInProgressError, TaskQueue, TaskSpec, Worker

DEFAULT_URL = home_url("queue.db")
SCHEMES = ("sqlite", "amqp", "amqps", "pyamqp", "redis", "rediss")  # SQLite, else Celery


def connect(url: str = DEFAULT_URL, *, visibility_timeout: float = 30.0) -> TaskQueue:
    """A queue for ``url``.

    - ``sqlite:///path.db``: the embedded queue (a file; survives a killed worker).
    - ``amqp://...`` or ``redis://...``: Celery on that broker. Dead letters and counts are
      kept in Redis for a Redis broker, else in ``sqlite:///.otc/queue-state.db``; give
      another with ``?state=<URL>`` (URL-encoded). ``?queue=<name>`` picks the broker queue.

    ``visibility_timeout`` (seconds): when a task whose worker died is run again.
    """
    if not isinstance(url, str):
        raise ValueError(f"{url!r} is not a queue URL: use sqlite:///path.db or amqp://host//")
    if url_scheme(check_scheme(url, SCHEMES, "queue")) == "sqlite":
        from .sqlite import SQLiteQueue

        path = unquote(url.split("://", 1)[1][1:].split("?", 1)[0])
        make_home(path)
        return SQLiteQueue(path, visibility_timeout=visibility_timeout, url=url)
    from .celery import CeleryQueue

    return CeleryQueue(url, visibility_timeout=visibility_timeout)


__all__ = [
    "DEFAULT_URL",
    "SCHEMES",
    "DeadLetterNotFoundError",
    "KeyInProgressError",
    "TaskQueue",
    "TaskSpec",
    "Worker",
    "connect",
]
