"""What every queue backend offers: task registry, retry policy, and the queue interface.

A task is a function of one JSON payload. It is retried when it raises: the wait before
retry ``n`` (n = 0, 1, ...) is ``retry_backoff * 2**n`` seconds, and after ``1 +
max_retries`` failures it goes to the dead-letter store, from which it can be retried or
discarded. Payloads travel as JSON only, never pickle.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeVar, overload

from .._redact import redact

TaskFunc = Callable[[Any], Any]
F = TypeVar("F", bound=TaskFunc)

DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_BACKOFF = 60.0


class KeyInProgressError(Exception):
    """Another ``enqueue_once`` of this key is under way right now: try again shortly."""

    def __init__(self, key: str) -> None:
        super().__init__(f"a task keyed {key!r} is being enqueued by another caller")
        self.key = key


class DeadLetterNotFoundError(KeyError):
    """No dead letter has that id (already retried or discarded?)."""

    def __str__(self) -> str:
        return f"no dead letter has id {self.args[0]!r}"


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    func: TaskFunc
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_backoff: float = DEFAULT_RETRY_BACKOFF

    def retry_delay(self, failures: int) -> float | None:
        """Seconds to wait after the ``failures``-th failure, or None: dead-letter it."""
        if failures > self.max_retries:
            return None
        return float(self.retry_backoff * 2 ** (failures - 1))

    @property
    def longest_delay(self) -> float:
        """The longest wait before a retry (the last one); 0 for a task never retried."""
        return float(self.retry_backoff * 2 ** (self.max_retries - 1)) if self.max_retries else 0.0

    def run(self, payload: Any) -> Any:
        result = self.func(payload)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def encode_payload(name: str, payload: Any) -> str:
    """The payload as JSON text; a clear error for anything JSON can't carry."""
    try:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the payload of task {name!r} must be JSON data: {exc}") from None


def describe_error(exc: BaseException) -> str:
    """``Type: message`` of a task's error, as logged and kept in a dead letter: at most 2,000
    characters, with API tokens and registered secrets masked (a task's error may quote a
    URL that carries the key)."""
    text = redact(f"{type(exc).__name__}: {exc}")
    return text if len(text) <= 2000 else text[:1997] + "..."


class Worker(Protocol):
    def run(self, stop_when_idle: bool = False) -> None: ...
    def stop(self) -> None: ...


class TaskQueue(ABC):
    """A durable task queue; get one with :func:`open_to_close.queue.connect`."""

    url: str

    def __init__(self) -> None:
        self.tasks: dict[str, TaskSpec] = {}

    @overload
    def task(self, name: F) -> F: ...

    @overload
    def task(
        self,
        name: str | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF,
    ) -> Callable[[F], F]: ...

    def task(
        self,
        name: str | F | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF,
    ) -> F | Callable[[F], F]:
        """Register a function of one JSON payload as a task (a name registered again is
        replaced). ``@queue.task`` and ``@queue.task(name="...", max_retries=5)`` both work.
        """
        if callable(name):
            return self.task()(name)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be a whole number, 0 or more: {max_retries!r}")
        if (
            isinstance(retry_backoff, bool)
            or not isinstance(retry_backoff, int | float)
            or (retry_backoff < 0)
        ):
            raise ValueError(f"retry_backoff must be seconds, 0 or more: {retry_backoff!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError("a task name must be a non-empty string")

        def register(func: F) -> F:
            task_name = name or f"{func.__module__}.{func.__qualname__}"
            spec = TaskSpec(task_name, func, max_retries, float(retry_backoff))
            self.tasks[task_name] = spec
            return func

        return register

    def run_task(self, name: str, payload: Any) -> Any:
        """Run the task ``name`` registered here; a ``LookupError`` if this process lacks it."""
        spec = self.tasks.get(name)
        if spec is None:
            raise LookupError(
                f"no task named {name!r} is registered in this worker "
                "(import the module that defines it)"
            )
        return spec.run(payload)

    @abstractmethod
    def enqueue(self, name: str, payload: Any = None) -> str:
        """Store a task run; its id. The task need not be registered in this process."""

    @abstractmethod
    def enqueue_once(self, name: str, payload: Any, key: str) -> tuple[str, bool]:
        """Enqueue unless ``key`` was used before: ``(task id, True)`` or ``(id, False)``."""

    @abstractmethod
    def worker(self, concurrency: int = 1) -> Worker:
        """A worker running this queue's tasks with ``concurrency`` threads or processes."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """Counts of ``pending`` (waiting, or waiting for a retry), ``running``, ``done``,
        ``dead``."""

    @abstractmethod
    def dead_letters(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Dead letters, oldest first: ``id``, ``name``, ``payload``, ``error``, ``attempts``."""

    @abstractmethod
    def retry_dead_letter(self, dead_letter_id: str | int) -> str:
        """Enqueue a dead letter's task afresh (its retries start again); the new task id."""

    @abstractmethod
    def discard_dead_letter(self, dead_letter_id: str | int) -> None:
        """Forget a dead letter."""

    def dead_letter_page(
        self, limit: int, before: str | None = None, after: str | None = None
    ) -> list[dict[str, Any]]:
        """Dead letters newest first (a page of the console): ``limit`` of them with an id
        below ``before``, or the ``limit`` just above ``after``. This default reads every
        letter; a backend with an index on the id answers from it."""
        letters = sorted(self.dead_letters(), key=lambda d: int(d["id"]), reverse=True)
        if after is not None:
            above = [d for d in letters if int(d["id"]) > int(after)]
            return above[-limit:]
        if before is not None:
            letters = [d for d in letters if int(d["id"]) < int(before)]
        return letters[:limit]

    def close(self) -> None:  # noqa: B027 - most backends hold connections; some don't
        """Release connections."""

    def __enter__(self) -> TaskQueue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"
