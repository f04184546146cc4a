"""The SQL cache: one table of (key, JSON text, expiry), on SQLite or PostgreSQL.

Each operation takes a connection from the engine's pool and gives it back (nothing is
held between operations), so one :class:`SQLCache` serves any number of threads.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from .._sql import is_memory_sqlite, make_engine
from .._urls import CACHE_URL
from .backend import CacheBackend, CacheBackendError, key_kind

__all__ = ["SQLCache"]


class SQLCache(CacheBackend):
    """A cache table in a SQL database (SQLAlchemy 2): durable, shared, no extra server.

    ``table`` (and ``schema``, on PostgreSQL) name where entries live; the table is created
    if missing. Expired rows are skipped on read and removed by :meth:`cleanup`.
    """

    name = "sql"

    def __init__(
        self,
        db_url: str = CACHE_URL,
        *,
        table: str = "otc_cache",
        schema: str | None = None,
        engine: Engine | None = None,
    ) -> None:
        self._engine = engine if engine is not None else make_engine(db_url, "the cache (db_url)")
        self._owns_engine = engine is None
        self.table = Table(
            table,
            MetaData(schema=schema),
            Column("key", String(512), primary_key=True),
            Column("value", Text, nullable=False),
            Column("expires_at", Float, nullable=False, index=True),
        )
        # An in-memory SQLite database is one shared connection: take turns on it.
        self._lock = threading.Lock() if is_memory_sqlite(self._engine) else None
        with self._connection() as conn:
            self.table.create(conn, checkfirst=True)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            with self._lock or nullcontext(), self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            url = self._engine.url.render_as_string(hide_password=True)
            raise CacheBackendError(f"SQL cache at {url}: {type(exc).__name__}: {exc}") from exc

    def get_many(self, keys: Sequence[str]) -> list[bytes | str | None]:
        t = self.table
        query = select(t.c.key, t.c.value).where(t.c.key.in_(keys), t.c.expires_at > time.time())
        with self._connection() as conn:
            found: dict[str, str] = {key: value for key, value in conn.execute(query)}
        return [found.get(key) for key in keys]

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._connection() as conn:
            self._upsert(conn, [{"key": key, "value": value, "expires_at": time.time() + ttl}])

    def write(self, sets: Mapping[str, str], ttl: float, deletes: Sequence[str] = ()) -> None:
        expires = time.time() + ttl
        with self._connection() as conn:
            if deletes:
                conn.execute(delete(self.table).where(self.table.c.key.in_(deletes)))
            if sets:
                rows = [{"key": k, "value": v, "expires_at": expires} for k, v in sets.items()]
                self._upsert(conn, rows)

    def _upsert(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        t = self.table
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):
            module = "postgresql" if dialect == "postgresql" else "sqlite"
            insert = importlib.import_module(f"sqlalchemy.dialects.{module}").insert
            stmt = insert(t)
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.c.key],
                set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at},
            )
            conn.execute(stmt, rows)
        else:  # any other database: replace within the transaction
            conn.execute(delete(t).where(t.c.key.in_([row["key"] for row in rows])))
            conn.execute(t.insert(), rows)

    def clear(self) -> int:
        with self._connection() as conn:
            return conn.execute(delete(self.table)).rowcount

    def cleanup(self) -> dict[str, int]:
        t = self.table
        stmt = delete(t).where(t.c.expires_at <= time.time()).returning(t.c.key)
        with self._connection() as conn:
            keys = conn.execute(stmt).scalars().all()
        return dict(Counter(key_kind(key) for key in keys))

    def ping(self) -> None:
        with self._connection() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def __repr__(self) -> str:
        url = self._engine.url.render_as_string(hide_password=True)
        return f"SQLCache({url!r}, table={self.table.fullname!r})"
