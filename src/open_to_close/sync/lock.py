"""One run of a job at a time, on SQLite and PostgreSQL alike.

The lock is a row (job, owner, host, pid, expires_at) taken in a transaction: inserting it
when absent, or taking it over with a conditional ``UPDATE`` when it has expired or its
owner is a process on this host that no longer exists (a run killed by ``SIGKILL`` does not
block the next one for a whole TTL). While held, a heartbeat thread pushes the expiry
forward; if the row is taken from us (we stalled past the TTL), ``lost`` turns true and the
run stops at its next check.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

__all__ = ["JobLock", "SyncLockedError", "lock_table"]


def lock_table(name: str, metadata: MetaData) -> Table:
    """The table of :class:`JobLock` rows, one per job (the sync state's, the feed's)."""
    return Table(
        name,
        metadata,
        Column("job", String(200), primary_key=True),
        Column("owner", String(200), nullable=False),
        Column("host", String(255), nullable=False),
        Column("pid", Integer, nullable=False),
        Column("expires_at", Float, nullable=False),
    )


class SyncLockedError(RuntimeError):
    """Another run of the same job holds the lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


class JobLock:
    """The lock of ``job`` in the ``locks`` table of ``engine``; ``on_takeover(owner)`` is
    called when the lock is taken over from an owner that died or expired."""

    def __init__(
        self,
        engine: Engine,
        table: Table,
        job: str,
        ttl: float = 60.0,
        on_takeover: Callable[[str], None] | None = None,
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"ttl must be positive; got {ttl!r}")
        self.engine, self.table, self.job, self.ttl = engine, table, job, ttl
        self.on_takeover = on_takeover
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`SyncLockedError` saying who holds it."""
        for _ in range(3):  # a racing process may write between our read and our write
            try:
                taken, previous = self._try_take()
            except IntegrityError:
                continue
            if taken:
                break
        else:
            raise SyncLockedError(f"sync job {self.job!r}: another run took the lock first")
        if previous is not None and self.on_takeover is not None:
            self.on_takeover(previous)
        self._thread = threading.Thread(target=self._beat, name="otc-sync-lock", daemon=True)
        self._thread.start()

    def _try_take(self) -> tuple[bool, str | None]:
        """(taken, owner taken over from); raises when a live owner holds the lock."""
        t = self.table
        host, pid = socket.gethostname(), os.getpid()
        mine = {"owner": self.owner, "host": host, "pid": pid, "expires_at": time.time() + self.ttl}
        with self.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.job == self.job)).first()
            if row is None:
                conn.execute(insert(t).values(job=self.job, **mine))
                return True, None
            dead = row.host == host and row.pid != pid and not _alive(row.pid)
            if row.expires_at >= time.time() and not dead:
                until = time.strftime("%H:%M:%S", time.localtime(row.expires_at))
                raise SyncLockedError(
                    f"sync job {self.job!r} is already running (pid {row.pid} on "
                    f"{row.host}); its lock expires at {until} unless renewed"
                )
            taken = conn.execute(
                update(t).where(t.c.job == self.job, t.c.owner == row.owner).values(**mine)
            )
            return taken.rowcount == 1, str(row.owner)

    def _beat(self) -> None:
        t = self.table
        while not self._stop.wait(self.ttl / 3):
            try:
                with self.engine.begin() as conn:
                    renewed = conn.execute(
                        update(t)
                        .where(t.c.job == self.job, t.c.owner == self.owner)
                        .values(expires_at=time.time() + self.ttl)
                    )
            except Exception:  # noqa: S112 - a database hiccup: try again next beat
                continue
            if renewed.rowcount != 1:
                self.lost = True
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        t = self.table
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.job == self.job, t.c.owner == self.owner))

    def __enter__(self) -> JobLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
