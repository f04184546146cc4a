"""The sync state's tables, declared once."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    Column,
    CursorResult,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from ..exceptions import ConfigurationError
from .lock import lock_table

MAX_EXTERNAL_ID = 500  # characters: the external_id columns' width
_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,30}$")


class Tables:
    """The seven tables of one state store, named ``<prefix>links`` and so on."""

    def __init__(self, prefix: str) -> None:
        if not _PREFIX.match(prefix):
            raise ConfigurationError(
                f"table_prefix {prefix!r} must be letters, digits and _ (at most 31)"
            )
        self.metadata = MetaData()
        m, p = self.metadata, prefix
        # A link whose otc_id is NULL is an intent: a create was (maybe) sent and its
        # answer not yet recorded. The next run looks the record up before creating again.
        self.links = Table(
            f"{p}links",
            m,
            Column("job", String(200), primary_key=True),
            Column("external_id", String(MAX_EXTERNAL_ID), primary_key=True),
            Column("otc_id", String(100), nullable=True),
            Column("content_hash", String(64), nullable=True),
            Column("base", Text, nullable=True),  # JSON: the last synced field values
            Column("updated_at", String(40), nullable=False),
            Index(f"{p}links_otc", "job", "otc_id"),
        )
        self.cursors = Table(
            f"{p}cursors",
            m,
            Column("job", String(200), primary_key=True),
            Column("name", String(100), primary_key=True),
            Column("value", String(100), nullable=False),
        )
        self.conflicts = Table(
            f"{p}conflicts",
            m,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("job", String(200), nullable=False),
            Column("external_id", String(MAX_EXTERNAL_ID), nullable=False),
            Column("otc_id", String(100), nullable=True),
            Column("fields", Text, nullable=False),  # JSON list
            Column("base", Text, nullable=False),  # JSON objects, Open To Close field names
            Column("otc_values", Text, nullable=True),
            Column("external_values", Text, nullable=True),
            Column("status", String(20), nullable=False),  # open, resolved, applied
            Column("resolution", String(20), nullable=True),  # otc, external
            Column("created_at", String(40), nullable=False),
            Column("resolved_at", String(40), nullable=True),
            Index(f"{p}conflicts_job", "job", "status"),
        )
        self.runs = Table(
            f"{p}runs",
            m,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("job", String(200), nullable=False),
            Column("kind", String(20), nullable=False),
            Column("status", String(20), nullable=False),  # running, ok, failed, interrupted
            Column("started_at", String(40), nullable=False),
            Column("finished_at", String(40), nullable=True),
            Column("counts", Text, nullable=True),  # JSON
            Column("error", Text, nullable=True),
            Column("owner", String(200), nullable=True),
            Index(f"{p}runs_job", "job", "id"),
        )
        # The failed records of each run (the first KEPT_FAILURES of them).
        self.run_failures = Table(
            f"{p}run_failures",
            m,
            Column("run_id", Integer, primary_key=True),
            Column("n", Integer, primary_key=True),
            Column("external_id", Text, nullable=True),
            Column("otc_id", Text, nullable=True),
            Column("row", Text, nullable=True),
            Column("error", Text, nullable=False),
        )
        self.locks = lock_table(f"{p}locks", m)


def upsert(engine: Engine, table: Table, keys: list[str]) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` of every other column, for SQLite and
    PostgreSQL; built once and executed with parameters (building it costs more than
    running it)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    update = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys}
    done: Insert = stmt.on_conflict_do_update(index_elements=keys, set_=update)
    return done


def first_key(result: CursorResult[Any]) -> Any:
    """The primary key an ``INSERT`` made."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database did not return the new row's key")
    return key[0]
