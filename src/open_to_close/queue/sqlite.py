"""The embedded queue: tasks in a SQLite file, leased to workers with a visibility timeout.

A claimed task is ``running`` until its lease expires; the worker that holds it extends
the lease while the task runs, so only a dead worker's task expires and is claimed again.
That re-run is not a failure of the task; a separate cap (``max_lost``) dead-letters a task
whose workers keep dying while they run it. Only the task a worker had *started* counts a
death (``running = 2``; the tasks it had merely claimed with it are ``running = 1``): the
claim starts the first task of its batch, and the settle of each task starts the next, in
the same transaction, so marking costs no extra write. For a running task, ``run_at`` holds the end
of its lease, so one index serves "due now" for new, retrying and orphaned tasks alike.

Transactions are short (a claim of a batch, the end of one task) and the file is in WAL
mode, so several worker processes and the webhook receiver share it without waiting long.
An enqueue waits for another writer's lock at most ``enqueue_wait`` seconds, then raises
:class:`QueueBusyError` (the webhook receiver answers 503 with ``Retry-After``), so a file
locked for long stalls no request for long.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import settle
from ._sqlite_schema import CLAIM, DEAD, DONE, SCHEMA, START
from .base import DeadLetterNotFoundError, TaskQueue, encode_payload
from .settle import DEFAULT_MAX_LOST, Verdict

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a statement waits for another writer's lock
DEFAULT_ENQUEUE_WAIT = 5.0  # ... and an enqueue, which a request is waiting for
KEY_RETENTION = 30 * 24 * 3600.0


class QueueBusyError(sqlite3.OperationalError):
    """The queue file stayed locked by another writer longer than an enqueue may wait."""


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed run of a task."""

    id: int
    name: str
    payload: str
    failures: int
    lost: int
    token: int

    def decoded(self) -> Any:
        return json.loads(self.payload)


class SQLiteQueue(TaskQueue):
    """``connect("sqlite:///path.db")``: see the module docstring."""

    def __init__(
        self,
        path: str,
        *,
        visibility_timeout: float = 30.0,
        max_lost: int = DEFAULT_MAX_LOST,
        url: str | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        enqueue_wait: float = DEFAULT_ENQUEUE_WAIT,
    ) -> None:
        super().__init__()
        if not path or path == ":memory:":
            raise ValueError(
                "an in-memory SQLite queue would lose its tasks; give a file, "
                "e.g. sqlite:///.otc/queue.db"
            )
        if visibility_timeout <= 0:
            raise ValueError(f"visibility_timeout must be > 0 seconds, got {visibility_timeout!r}")
        self.path = path
        self.url = url or f"sqlite:///{path}"
        self.visibility_timeout = float(visibility_timeout)
        self.max_lost = max_lost
        self.busy_timeout = float(busy_timeout)
        self.enqueue_wait = min(float(enqueue_wait), self.busy_timeout)
        self.wakeup = threading.Condition()
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ValueError(f"can't open the queue {self.url}: directory {directory} is missing")
        self.conn.executescript(SCHEMA)  # executescript commits on its own
        self.conn.execute("INSERT OR IGNORE INTO otc_queue_counters VALUES ('done', 0)")

    # -- connections ---------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared across threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                # Used by this thread only; closed by close() from any thread.
                conn = sqlite3.connect(
                    self.path,
                    isolation_level=None,
                    timeout=self.busy_timeout,
                    check_same_thread=False,
                )
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.Error as exc:
                raise ValueError(f"can't open the queue {self.url}: {exc}") from None
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def _tx(self, wait: float | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction; ``wait``: seconds to wait for the lock, if not the usual."""
        conn = self.conn
        if wait is None:
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                raise QueueBusyError(
                    f"the queue {self.url} stayed locked for {wait:g} s: {exc}"
                ) from None
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # -- producing -----------------------------------------------------------------------

    def _insert(self, conn: sqlite3.Connection, name: str, payload: str, now: float) -> int:
        cursor = conn.execute(
            "INSERT INTO otc_tasks (name, payload, run_at, created_at) VALUES (?, ?, ?, ?)",
            (name, payload, now, now),
        )
        return int(cursor.lastrowid or 0)

    def _notify(self) -> None:
        with self.wakeup:
            self.wakeup.notify_all()

    def enqueue(self, name: str, payload: Any = None) -> str:
        text = encode_payload(name, payload)
        with self._tx(self.enqueue_wait) as conn:
            task_id = self._insert(conn, name, text, time.time())
        self._notify()
        return str(task_id)

    def enqueue_once(self, name: str, payload: Any, key: str) -> tuple[str, bool]:
        text = encode_payload(name, payload)
        now = time.time()
        # The key and the task are written in one transaction: stored and deduplicated
        # together, or neither. A new key is the common case, so insert first and look
        # the key up only when it turns out to be taken.
        with self._tx(self.enqueue_wait) as conn:
            task_id = self._insert(conn, name, text, now)
            taken = (
                conn.execute(
                    "INSERT OR IGNORE INTO otc_task_keys VALUES (?, ?, ?)", (key, task_id, now)
                ).rowcount
                == 0
            )
            if taken:
                conn.execute("DELETE FROM otc_tasks WHERE id = ?", (task_id,))
                row = conn.execute(
                    "SELECT task_id FROM otc_task_keys WHERE key = ?", (key,)
                ).fetchone()
                return str(row[0]), False
            if task_id % 1000 == 0:
                conn.execute(
                    "DELETE FROM otc_task_keys WHERE created_at < ?", (now - KEY_RETENTION,)
                )
        self._notify()
        return str(task_id), True

    # -- consuming (used by the worker) --------------------------------------------------

    def claim(self, n: int) -> list[Job]:
        """Lease up to ``n`` due tasks; tasks whose workers died too often are dead-lettered."""
        now = time.time()
        token = secrets.randbits(62)  # names this claim; a stale worker's writes miss
        jobs: list[Job] = []
        buried: list[Verdict] = []
        with self._tx() as conn:
            rows = conn.execute(
                CLAIM, {"lease": now + self.visibility_timeout, "token": token, "now": now, "n": n}
            ).fetchall()
            for task_id, name, payload, failures, lost in rows:
                verdict = settle.lost(name, task_id, failures, lost, self.max_lost)
                if verdict is None:
                    jobs.append(Job(task_id, name, payload, failures, lost, token))
                else:
                    self._bury(conn, task_id, token, verdict.error, verdict.attempts, now)
                    buried.append(verdict)
            self._start(conn, jobs[0] if jobs else None)
        for verdict in buried:
            verdict.log()
        return jobs

    def _start(self, conn: sqlite3.Connection, job: Job | None) -> None:
        """Mark ``job`` as the one its worker runs now: a death of the worker counts for it."""
        if job is not None:
            conn.execute(START, (job.id, job.token))

    def extend(self, tokens: set[int]) -> None:
        """Push back the lease of every task held under ``tokens`` (a live worker's)."""
        if not tokens:
            return
        marks = ",".join("?" * len(tokens))
        with self._tx() as conn:
            conn.execute(
                f"UPDATE otc_tasks SET run_at = ? WHERE running > 0 AND token IN ({marks})",  # noqa: S608 - only placeholders
                (time.time() + self.visibility_timeout, *tokens),
            )

    def succeeded(self, jobs: list[Job], following: Job | None = None) -> None:
        """``jobs`` are done; ``following`` (the next task of the batch) starts."""
        with self._tx() as conn:
            gone = conn.executemany(
                "DELETE FROM otc_tasks WHERE id = ? AND token = ?", [(j.id, j.token) for j in jobs]
            ).rowcount
            conn.execute(DONE, (gone,))
            self._start(conn, following)

    def failed(self, job: Job, verdict: Verdict, following: Job | None = None) -> None:
        """Schedule the retry or dead-letter the task, as ``verdict`` says (see
        :mod:`.settle`); ``following`` starts."""
        now = time.time()
        with self._tx() as conn:
            if verdict.retry_in is None:
                self._bury(conn, job.id, job.token, verdict.error, verdict.attempts, now)
            else:
                conn.execute(
                    "UPDATE otc_tasks SET running = 0, run_at = ?, failures = ?, error = ?,"
                    " token = NULL WHERE id = ? AND token = ?",
                    (now + verdict.retry_in, verdict.failures, verdict.error, job.id, job.token),
                )
            self._start(conn, following)

    def hand_back(self, jobs: list[Job]) -> None:
        """Return claimed tasks not started (a worker stopping): due at once, no failure."""
        with self._tx() as conn:
            conn.executemany(
                "UPDATE otc_tasks SET running = 0, run_at = ?, token = NULL"
                " WHERE id = ? AND token = ?",
                [(time.time(), j.id, j.token) for j in jobs],
            )
        self._notify()

    def _bury(
        self,
        conn: sqlite3.Connection,
        task_id: int,
        token: int,
        error: str,
        attempts: int,
        now: float,
    ) -> None:
        conn.execute(DEAD, (error, attempts, now, task_id, token))
        conn.execute("DELETE FROM otc_tasks WHERE id = ? AND token = ?", (task_id, token))

    def next_due(self) -> float | None:
        """When the next task is due (Unix time), or None if the queue is empty."""
        row = self.conn.execute("SELECT MIN(run_at) FROM otc_tasks").fetchone()
        return None if row[0] is None else float(row[0])

    def worker(self, concurrency: int = 1) -> Any:
        from .worker import PollingWorker

        return PollingWorker(self, concurrency=concurrency)

    # -- inspection ----------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        conn = self.conn
        counts = dict(conn.execute("SELECT running, COUNT(*) FROM otc_tasks GROUP BY running"))
        done = conn.execute("SELECT value FROM otc_queue_counters WHERE name = 'done'").fetchone()
        dead = conn.execute("SELECT COUNT(*) FROM otc_dead_letters").fetchone()
        return {
            "pending": int(counts.get(0, 0)),
            "running": int(counts.get(1, 0) + counts.get(2, 0)),
            "done": int(done[0]) if done else 0,
            "dead": int(dead[0]),
        }

    def dead_letters(self, limit: int | None = None) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, task_id, name, payload, error, attempts, failed_at"
            " FROM otc_dead_letters ORDER BY id LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        return self._letters(rows)

    def dead_letter_page(
        self, limit: int, before: str | None = None, after: str | None = None
    ) -> list[dict[str, Any]]:
        columns = "SELECT id, task_id, name, payload, error, attempts, failed_at"
        if after is not None:
            rows = self.conn.execute(
                f"{columns} FROM otc_dead_letters WHERE id > ? ORDER BY id LIMIT ?",
                (self._dead_id(after), limit),
            ).fetchall()
            return self._letters(rows[::-1])
        rows = self.conn.execute(
            f"{columns} FROM otc_dead_letters WHERE id < ? ORDER BY id DESC LIMIT ?",
            (self._dead_id(before) if before is not None else 2**62, limit),
        ).fetchall()
        return self._letters(rows)

    def _letters(self, rows: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "id": str(row[0]),
                "task_id": str(row[1]),
                "name": row[2],
                "payload": json.loads(row[3]),
                "error": row[4],
                "attempts": row[5],
                "failed_at": row[6],
            }
            for row in rows
        ]

    def _dead_id(self, dead_letter_id: str | int) -> int:
        try:
            return int(dead_letter_id)
        except (TypeError, ValueError):
            raise DeadLetterNotFoundError(dead_letter_id) from None

    def retry_dead_letter(self, dead_letter_id: str | int) -> str:
        dead_id = self._dead_id(dead_letter_id)
        with self._tx() as conn:
            row = conn.execute(
                "SELECT name, payload FROM otc_dead_letters WHERE id = ?", (dead_id,)
            ).fetchone()
            if row is None:
                raise DeadLetterNotFoundError(dead_letter_id)
            task_id = self._insert(conn, row[0], row[1], time.time())
            conn.execute("DELETE FROM otc_dead_letters WHERE id = ?", (dead_id,))
        self._notify()
        return str(task_id)

    def discard_dead_letter(self, dead_letter_id: str | int) -> None:
        with self._tx() as conn:
            gone = conn.execute(
                "DELETE FROM otc_dead_letters WHERE id = ?", (self._dead_id(dead_letter_id),)
            ).rowcount
        if not gone:
            raise DeadLetterNotFoundError(dead_letter_id)
