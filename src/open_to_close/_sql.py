"""SQL engines for every store of the package (sync state, caches, dedupe, queue state).

One place decides how a URL becomes an engine: ``postgresql://`` means psycopg 3 (the
``postgres`` extra), SQLite files get WAL and a busy timeout (and ``.otc/`` is made for a
default file), an in-memory SQLite database is one shared connection, and a password in
the URL is never echoed in an error or a log.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, ProgrammingError
from sqlalchemy.pool import StaticPool

from ._optional import require
from ._redact import register_secret
from ._urls import check_scheme, make_home
from .exceptions import ConfigurationError

__all__ = ["create_tables", "is_memory_sqlite", "make_engine", "require_sqlite_file"]

_EXAMPLES = "e.g. sqlite:///otc.db or postgresql://user@host/db"


def is_memory_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def make_engine(url: str, purpose: str = "the database", schemes: tuple[str, ...] = ()) -> Engine:
    """An engine for ``url``; ``purpose`` names what it is for in error messages.
    ``schemes``: the only ones taken (e.g. ``_urls.STATE_SCHEMES``), others are refused."""
    if schemes:
        check_scheme(url, schemes, purpose.removeprefix("the "))
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # The text is not echoed: a mistyped URL may still carry a password.
        raise ConfigurationError(
            f"the URL for {purpose} is not a database URL; use {_EXAMPLES}"
        ) from None
    if parsed.password:
        register_secret(str(parsed.password))
    if parsed.get_backend_name() == "postgres":  # libpq's spelling; SQLAlchemy has no such name
        parsed = parsed.set(drivername="postgresql" + parsed.drivername.removeprefix("postgres"))
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "postgresql":
        require("psycopg", "postgres", f"PostgreSQL for {purpose}")
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options["pool_pre_ping"] = True
    elif backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # One connection, or each thread would see its own empty database.
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            options = {"connect_args": {"timeout": 30}}
            make_home(parsed.database)
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError) as exc:
        raise ConfigurationError(
            f"can't use {parsed.render_as_string(hide_password=True)} for {purpose}: {exc}"
        ) from None
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def require_sqlite_file(url: str, what: str) -> None:
    """Refuse a SQLite URL whose file doesn't exist, for a database that is only read or
    cleared: a typo would otherwise create an empty database and report nothing to do.
    Other URLs (and SQLite URIs, which decide for themselves) pass."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return  # make_engine says what is wrong with it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if "uri" in parsed.query or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise ConfigurationError(
            f"{what}: no such SQLite file {database!r} (in {Path.cwd()}); check the URL. "
            "Nothing was created."
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; NORMAL sync keeps a commit cheap
    # and is still durable across a crash of the process.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_tables(metadata: MetaData, engine: Engine, attempts: int = 8) -> None:
    """``metadata.create_all``, safe when several processes start on a fresh database.

    PostgreSQL's ``CREATE TABLE`` is not idempotent under a race: two processes that both
    find a table missing both create it, and one fails on the catalog's unique index.
    The loser tries again and then finds the table there.
    """
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (IntegrityError, ProgrammingError) as exc:
            text = str(exc.orig).lower()
            racing = "already exists" in text or "pg_type_typname_nsp_index" in text
            if not racing or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
