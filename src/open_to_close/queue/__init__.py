"""Durable task queues: an embedded SQLite queue, and Celery on RabbitMQ or Redis.

::

    from open_to_close import queue as otc_queue

    q = otc_queue.connect("sqlite:///otc-queue.db")   # or "amqp://guest:guest@host//"

    @q.task(name="crm.sync", max_retries=3, retry_backoff=60)
    def sync_to_crm(payload):
        ...

    q.enqueue("crm.sync", {"property_id": 7})
    q.worker(concurrency=4).run()        # or: otc worker sqlite:///otc-queue.db -i myapp.tasks

The same names, retry policy (``retry_backoff * 2**n``) and dead-letter store on every
backend. ``open_to_close.queue.rabbitmq`` is the guide's four-queue RabbitMQ bridge.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from .base import DeadLetterNotFoundError, TaskQueue, TaskSpec, Worker

DEFAULT_URL = "sqlite:///otc-queue.db"


def connect(url: str = DEFAULT_URL, *, visibility_timeout: float = 30.0) -> TaskQueue:
    """A queue for ``url``.

    - ``sqlite:///path.db``: the embedded queue (a file; survives a killed worker).
    - ``amqp://...`` or ``redis://...``: Celery on that broker. Dead letters and counts are
      kept in Redis for a Redis broker, else in ``sqlite:///otc-queue-state.db``; give
      another with ``?state=<URL>`` (URL-encoded). ``?queue=<name>`` picks the broker queue.

    ``visibility_timeout`` (seconds): when a task whose worker died is run again.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ValueError(
            f"{url!r} is not a queue URL: use sqlite:///path.db, amqp://host// or redis://host"
        )
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from .sqlite import SQLiteQueue

        path = unquote(url.split("://", 1)[1][1:].split("?", 1)[0])
        return SQLiteQueue(path, visibility_timeout=visibility_timeout, url=url)
    if scheme in {"amqp", "amqps", "pyamqp", "redis", "rediss"}:
        from .celery import CeleryQueue

        return CeleryQueue(url, visibility_timeout=visibility_timeout)
    raise ValueError(
        f"unknown queue URL scheme {scheme!r}: use sqlite:///path.db, amqp://... or redis://..."
    )


__all__ = ["DEFAULT_URL", "DeadLetterNotFoundError", "TaskQueue", "TaskSpec", "Worker", "connect"]
