"""Durable bookkeeping for the Celery backend: task states, counts, and dead letters.

A broker holds messages, not history: it can't say how many tasks are waiting for a retry,
and a message Celery gives up on is gone. This store keeps, per task id, its state
(``pending``, ``running``), how many times a worker started it and how often it failed, a
``done`` counter, and the dead letters, in SQL (SQLAlchemy) or Redis. Everything is JSON
or plain columns.

It also holds each running task's *lease*: a worker takes it before it starts the task and
renews it while the task runs; every settle (done, waiting for a retry, buried, put back)
drops it. ``done`` counts a task once, however many stale holders report it.
A broker may deliver a message again while a worker still runs it (Redis after its
visibility timeout, RabbitMQ when a live worker's connection drops); the copy finds the
lease taken and does not run the task. A message of an earlier attempt (its task has
failed since) is not started either: ``started`` takes the attempt it carries.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from .._claims import ClaimStore, SQLClaims
from .._optional import require
from .._sql import create_tables, make_engine
from .._urls import is_redis_url
from .base import DeadLetterNotFoundError

PURPOSE = "the Celery queue's state store"


class QueueState(Protocol):
    keys: ClaimStore

    def enqueued(self, task_id: str, name: str) -> None: ...
    def forget(self, task_id: str) -> None: ...
    def lease(self, task_id: str, holder: str, ttl: float) -> bool: ...
    def renew(self, leases: dict[str, str], ttl: float) -> None: ...
    def release(self, task_id: str, holder: str) -> None: ...
    def started(self, task_id: str, attempt: int) -> int | None: ...
    def waiting(self, task_id: str) -> None: ...
    def put_back(self, task_id: str) -> None: ...
    def done(self, task_id: str) -> None: ...
    def bury(self, task_id: str, name: str, payload: Any, error: str, attempts: int) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def dead_letters(self, limit: int | None) -> list[dict[str, Any]]: ...
    def dead_letter_page(
        self, limit: int, before: int | None, after: int | None
    ) -> list[dict[str, Any]]: ...
    def take_dead_letter(self, dead_letter_id: str) -> dict[str, Any]: ...
    def close(self) -> None: ...


def _add_failures(sa: Any, engine: Any, table: str) -> None:
    """A tasks table made before the ``failures`` column gets it (0: any message runs)."""
    if any(c["name"] == "failures" for c in sa.inspect(engine).get_columns(table)):
        return
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(f'ALTER TABLE "{table}" ADD COLUMN failures INTEGER NOT NULL DEFAULT 0')
            )
    except sa.exc.DBAPIError:  # another process added it meanwhile
        if not any(c["name"] == "failures" for c in sa.inspect(engine).get_columns(table)):
            raise


def open_state(url: str, prefix: str) -> QueueState:
    if is_redis_url(url):
        from ._celery_redis import RedisState

        return RedisState(url, prefix)
    return SQLState(url, prefix)


class SQLState:
    def __init__(self, url: str, prefix: str) -> None:
        sa = require("sqlalchemy", "postgres", PURPOSE)
        self.sa = sa
        table = prefix.replace(":", "_").replace("-", "_")
        self.keys: ClaimStore = SQLClaims(url, table=f"{table}keys", purpose=PURPOSE)
        self.engine = make_engine(url, PURPOSE)
        meta = sa.MetaData()
        self.tasks = sa.Table(
            f"{table}tasks",
            meta,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("name", sa.String(255), nullable=False),
            sa.Column("state", sa.String(16), nullable=False, index=True),
            sa.Column("starts", sa.Integer, nullable=False, default=0),
            sa.Column("failures", sa.Integer, nullable=False, default=0),
        )
        self.leases = sa.Table(
            f"{table}leases",
            meta,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("holder", sa.String(64), nullable=False),
            sa.Column("until", sa.Float, nullable=False),
        )
        self.dead = sa.Table(
            f"{table}dead_letters",
            meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("task_id", sa.String(64), nullable=False),
            sa.Column("name", sa.String(255), nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("error", sa.Text, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("failed_at", sa.Float, nullable=False),
        )
        self.counters = sa.Table(
            f"{table}counters",
            meta,
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("value", sa.BigInteger, nullable=False),
        )
        create_tables(meta, self.engine)
        _add_failures(sa, self.engine, self.tasks.name)
        try:
            with self.engine.begin() as conn:
                conn.execute(self.counters.insert().values(name="done", value=0))
        except sa.exc.IntegrityError:
            pass

    def enqueued(self, task_id: str, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                self.tasks.insert().values(id=task_id, name=name, state="pending", starts=0)
            )

    def forget(self, task_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.tasks.delete().where(self.tasks.c.id == task_id))

    def lease(self, task_id: str, holder: str, ttl: float) -> bool:
        t, now = self.leases, time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(t.insert().values(id=task_id, holder=holder, until=now + ttl))
            return True
        except self.sa.exc.IntegrityError:
            pass
        with self.engine.begin() as conn:
            taken = conn.execute(
                t.update()
                .where(t.c.id == task_id, t.c.until < now)
                .values(holder=holder, until=now + ttl)
            )
        return bool(taken.rowcount == 1)

    def renew(self, leases: dict[str, str], ttl: float) -> None:
        t, until = self.leases, time.time() + ttl
        with self.engine.begin() as conn:
            for task_id, holder in leases.items():
                conn.execute(
                    t.update().where(t.c.id == task_id, t.c.holder == holder).values(until=until)
                )

    def release(self, task_id: str, holder: str) -> None:
        t = self.leases
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.id == task_id, t.c.holder == holder))

    def _drop_lease(self, conn: Any, task_id: str) -> None:
        conn.execute(self.leases.delete().where(self.leases.c.id == task_id))

    def started(self, task_id: str, attempt: int) -> int | None:
        t = self.tasks
        with self.engine.begin() as conn:
            changed = conn.execute(
                t.update()
                .where(t.c.id == task_id, t.c.failures <= attempt)
                .values(state="running", starts=t.c.starts + 1, failures=attempt)
            )
            if changed.rowcount == 0:
                return None
            return int(
                conn.execute(self.sa.select(t.c.starts).where(t.c.id == task_id)).scalar_one()
            )

    def waiting(self, task_id: str) -> None:
        t = self.tasks
        with self.engine.begin() as conn:
            conn.execute(
                t.update()
                .where(t.c.id == task_id)
                .values(state="pending", failures=t.c.failures + 1)
            )
            self._drop_lease(conn, task_id)

    def put_back(self, task_id: str) -> None:
        t = self.tasks
        with self.engine.begin() as conn:
            conn.execute(
                t.update()
                .where(t.c.id == task_id, t.c.starts > 0)
                .values(state="pending", starts=t.c.starts - 1)
            )
            self._drop_lease(conn, task_id)

    def done(self, task_id: str) -> None:
        c = self.counters
        with self.engine.begin() as conn:
            gone = conn.execute(self.tasks.delete().where(self.tasks.c.id == task_id)).rowcount
            conn.execute(c.update().where(c.c.name == "done").values(value=c.c.value + gone))
            self._drop_lease(conn, task_id)

    def bury(self, task_id: str, name: str, payload: Any, error: str, attempts: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.tasks.delete().where(self.tasks.c.id == task_id))
            self._drop_lease(conn, task_id)
            conn.execute(
                self.dead.insert().values(
                    task_id=task_id,
                    name=name,
                    payload=json.dumps(payload),
                    error=error,
                    attempts=attempts,
                    failed_at=time.time(),
                )
            )

    def stats(self) -> dict[str, int]:
        sa, t = self.sa, self.tasks
        with self.engine.connect() as conn:
            states = dict(
                conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state)).all()
            )
            dead = conn.execute(sa.select(sa.func.count()).select_from(self.dead)).scalar_one()
            done = conn.execute(
                sa.select(self.counters.c.value).where(self.counters.c.name == "done")
            ).scalar_one()
        return {
            "pending": int(states.get("pending", 0)),
            "running": int(states.get("running", 0)),
            "done": int(done),
            "dead": int(dead),
        }

    def _letter(self, row: Any) -> dict[str, Any]:
        return {
            "id": str(row.id),
            "task_id": row.task_id,
            "name": row.name,
            "payload": json.loads(row.payload),
            "error": row.error,
            "attempts": row.attempts,
            "failed_at": row.failed_at,
        }

    def dead_letters(self, limit: int | None) -> list[dict[str, Any]]:
        query = self.dead.select().order_by(self.dead.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [self._letter(row) for row in conn.execute(query)]

    def dead_letter_page(
        self, limit: int, before: int | None, after: int | None
    ) -> list[dict[str, Any]]:
        # Newest first, from the primary key: a page costs the same with 10 or 10,000 letters.
        d = self.dead
        if after is not None:
            query = d.select().where(d.c.id > after).order_by(d.c.id).limit(limit)
        else:
            query = d.select().order_by(d.c.id.desc()).limit(limit)
            if before is not None:
                query = query.where(d.c.id < before)
        with self.engine.connect() as conn:
            letters = [self._letter(row) for row in conn.execute(query)]
        return letters[::-1] if after is not None else letters

    def take_dead_letter(self, dead_letter_id: str) -> dict[str, Any]:
        try:
            number = int(dead_letter_id)
        except (TypeError, ValueError):
            raise DeadLetterNotFoundError(dead_letter_id) from None
        with self.engine.begin() as conn:
            row = conn.execute(self.dead.select().where(self.dead.c.id == number)).first()
            if row is None:
                raise DeadLetterNotFoundError(dead_letter_id)
            conn.execute(self.dead.delete().where(self.dead.c.id == number))
        return self._letter(row)

    def close(self) -> None:
        self.keys.close()
        self.engine.dispose()
