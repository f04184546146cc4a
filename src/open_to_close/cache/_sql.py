"""Engines for the SQL cache: SQLite by default, PostgreSQL (psycopg 3) by URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from .._optional import require
from .._redact import register_secret
from ..exceptions import ConfigurationError

__all__ = ["is_memory_sqlite", "make_engine"]


def is_memory_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def make_engine(db_url: str) -> Engine:
    """An engine for ``db_url``; ``postgresql://`` means psycopg 3 (the ``postgres`` extra)."""
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"db_url must be a SQLAlchemy URL such as 'sqlite:///otc_cache.db' or "
            f"'postgresql://user@host/db'; got {db_url!r}"
        ) from exc
    if url.password:
        register_secret(str(url.password))
    options: dict[str, Any] = {}
    if url.drivername in ("postgresql", "postgres"):
        require("psycopg", "postgres", "A PostgreSQL cache")
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            # One connection, or each thread would see its own empty database.
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            options = {"connect_args": {"timeout": 30}}
    engine = create_engine(url, **options)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        # WAL lets readers go on while one writer commits: threads stop queueing on reads.
        event.listen(engine, "connect", _sqlite_wal)
    return engine


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
