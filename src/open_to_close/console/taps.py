"""Where the service writes the event journal: as events are taken, and as workers run them.

- :class:`JournalingQueue` wraps the queue the webhook route and the change feed put events
  on: each event taken gets a journal row (source ``webhook`` or ``feed``) before it is
  queued; a duplicate the queue refuses, or an enqueue that fails, removes the row again.
- :func:`bind_journal` wraps the task that runs the handlers: each run records its outcome
  (``handled``, ``ignored``, ``failed`` and the error) and counts the attempt.
- :func:`replay` puts a journaled event through the handlers again, as a new row marked
  as a replay: queued with ``enqueue`` (no dedupe key, so it is never dropped as a
  duplicate), its body carrying ``"otc_replay": {"of": <event id>, "journal": <seq>}`` so
  handlers can tell a replay from the original.

The journal is a record, not the delivery path: if it can't be written, the event is
still queued and handled (the failure is logged).
"""

from __future__ import annotations

from typing import Any

from .._redact import get_logger
from ..queue.base import TaskQueue, Worker, describe_error
from ..webhooks.receiver import WEBHOOK_TASK
from .journal import EventJournal

log = get_logger(__name__)

REPLAY_KEY = "otc_replay"


class JournalingQueue(TaskQueue):
    """``queue`` as seen by one source of events: every event taken is journaled."""

    def __init__(self, queue: TaskQueue, journal: EventJournal, source: str) -> None:
        super().__init__()
        self.inner, self.journal, self.source = queue, journal, source
        self.tasks = queue.tasks  # the same registry: a task bound here is bound there
        self.url = queue.url

    def _taken(self, payload: Any) -> int | None:
        if not isinstance(payload, dict):
            return None
        try:
            return self.journal.taken(payload, self.source)
        except Exception as exc:
            log.warning("event journal: could not record event %s: %s", payload.get("id"), exc)
            return None

    def _drop(self, seq: int | None) -> None:
        if seq is not None:
            try:
                self.journal.forget(seq)
            except Exception as exc:
                log.warning("event journal: could not drop row %s: %s", seq, exc)

    def enqueue_once(self, name: str, payload: Any, key: str) -> tuple[str, bool]:
        seq = self._taken(payload) if name == WEBHOOK_TASK else None
        try:
            task_id, new = self.inner.enqueue_once(name, payload, key)
        except BaseException:
            self._drop(seq)
            raise
        if not new:
            self._drop(seq)
        return task_id, new

    def enqueue(self, name: str, payload: Any = None) -> str:
        return self.inner.enqueue(name, payload)

    def worker(self, concurrency: int = 1) -> Worker:
        return self.inner.worker(concurrency)

    def stats(self) -> dict[str, int]:
        return self.inner.stats()

    def dead_letters(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.inner.dead_letters(limit)

    def dead_letter_page(
        self, limit: int, before: str | None = None, after: str | None = None
    ) -> list[dict[str, Any]]:
        return self.inner.dead_letter_page(limit, before, after)

    def retry_dead_letter(self, dead_letter_id: str | int) -> str:
        return self.inner.retry_dead_letter(dead_letter_id)

    def discard_dead_letter(self, dead_letter_id: str | int) -> None:
        self.inner.discard_dead_letter(dead_letter_id)

    def close(self) -> None:
        """The queue belongs to the service, which closes it."""


def bind_journal(queue: TaskQueue, journal: EventJournal) -> None:
    """Wrap the registered webhook task so each run records its outcome in ``journal``."""
    spec = queue.tasks.get(WEBHOOK_TASK)
    if spec is None or getattr(spec.func, "journaled", False):
        return
    dispatch = spec.func

    def run(event: Any) -> Any:
        marker = event.get(REPLAY_KEY) if isinstance(event, dict) else None
        replay_seq = marker.get("journal") if isinstance(marker, dict) else None
        event_id = str(event.get("id", "")) if isinstance(event, dict) else ""
        try:
            result = dispatch(event)
        except Exception as exc:
            _finish(journal, event_id, replay_seq, "failed", describe_error(exc))
            raise
        status = result.get("status") if isinstance(result, dict) else None
        _finish(journal, event_id, replay_seq, "ignored" if status == "ignored" else "handled")
        return result

    run.journaled = True  # type: ignore[attr-defined]
    queue.task(name=WEBHOOK_TASK, max_retries=spec.max_retries, retry_backoff=spec.retry_backoff)(
        run
    )


def _finish(
    journal: EventJournal, event_id: str, replay_seq: Any, outcome: str, error: str | None = None
) -> None:
    try:
        seq = replay_seq if isinstance(replay_seq, int) else None
        journal.finished(event_id, seq, outcome, error)
    except Exception as exc:
        log.warning("event journal: could not record the outcome of %s: %s", event_id, exc)


def replay(queue: TaskQueue, journal: EventJournal, seq: int) -> int:
    """Queue the journaled event ``seq`` again, marked as a replay; the replay's seq."""
    found = journal.entry(seq)
    if found is None:
        raise KeyError(seq)
    entry, body = found
    original = entry.replay_of if entry.replay_of is not None else entry.seq
    body.pop(REPLAY_KEY, None)
    new_seq = journal.taken(body, entry.source, replay_of=original)
    payload = {**body, REPLAY_KEY: {"of": entry.event_id, "journal": new_seq}}
    try:
        queue.enqueue(WEBHOOK_TASK, payload)
    except BaseException:
        journal.forget(new_seq)
        raise
    return new_seq
