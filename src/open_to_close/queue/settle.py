"""What becomes of a task run that did not end well: one rule for every backend.

A task that raises is tried again after ``retry_backoff * 2**n`` seconds, and
dead-lettered once it has failed ``1 + max_retries`` times; a task that no worker knows
is dead-lettered at once (import its module, then retry the dead letter). A task whose
workers died while running it more than ``max_lost`` times is dead-lettered too, so one
poisonous task can't kill workers forever; only the task a worker had *started* counts
its death, never the tasks it had merely been handed with it.

The SQLite worker and the Celery task both ask :func:`failed` or :func:`lost` for a
:class:`Verdict`, write it to their store, then :meth:`Verdict.log` it: the same delays,
dead letters, ``attempts`` and log lines on every backend (as dramatiq's retries
middleware does for its brokers).
"""

from __future__ import annotations

from dataclasses import dataclass

from .._redact import get_logger
from .base import TaskSpec

log = get_logger(__name__)

DEFAULT_MAX_LOST = 3  # deaths of its workers a task survives; one more buries it


@dataclass(frozen=True, slots=True)
class Verdict:
    """The end of one run that failed, or whose worker died."""

    name: str
    task_id: str
    error: str
    failures: int  # failures of the task so far, this one included
    attempts: int  # runs that ended badly (failures and deaths): a dead letter's count
    retry_in: float | None  # seconds until the next try; None: dead-letter it

    @property
    def dead(self) -> bool:
        return self.retry_in is None

    def log(self) -> None:
        """The one log line of this verdict: an error when buried, else a warning."""
        if self.retry_in is None:
            log.error("task %s #%s dead-lettered: %s", self.name, self.task_id, self.error)
        else:
            log.warning(
                "task %s #%s failed (%s), retry in %.3g s",
                self.name,
                self.task_id,
                self.error,
                self.retry_in,
            )


def failed(
    spec: TaskSpec | None, name: str, task_id: object, failures: int, error: str, lost: int = 0
) -> Verdict:
    """The verdict on a run that raised ``error``, after ``failures`` earlier failures and
    ``lost`` deaths of its workers; ``spec`` is None for a task this worker lacks."""
    failures += 1
    delay = None if spec is None else spec.retry_delay(failures)
    return Verdict(name, str(task_id), error, failures, failures + lost, delay)


def lost(name: str, task_id: object, failures: int, deaths: int, max_lost: int) -> Verdict | None:
    """A dead-letter verdict if the workers of a task died more than ``max_lost`` times
    while running it (``deaths``); None: run it again."""
    if deaths <= max_lost:
        return None
    error = f"its worker died {deaths} times while running it (killed or crashed)"
    return Verdict(name, str(task_id), error, failures, failures + deaths, None)
