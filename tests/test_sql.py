"""The one engine factory and race-safe table creation, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, text

from open_to_close import ConfigurationError
from open_to_close._sql import create_tables, is_memory_sqlite, make_engine

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def test_processes_starting_together_on_postgresql_all_get_their_tables() -> None:
    name = f"race_{uuid.uuid4().hex[:10]}"
    engines = [make_engine(POSTGRES, "a test") for _ in range(6)]
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def create(engine: object) -> None:
        metadata = MetaData()
        Table(name, metadata, Column("id", Integer, primary_key=True), Column("v", String(10)))
        start.wait()
        try:
            create_tables(metadata, engine)  # type: ignore[arg-type]
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert inspect(engines[0]).has_table(name)
    finally:
        with engines[0].begin() as conn:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
        for engine in engines:
            engine.dispose()


def test_postgresql_url_uses_psycopg_3() -> None:
    engine = make_engine(POSTGRES)
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_sqlite_file_gets_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert not is_memory_sqlite(engine)


def test_memory_sqlite_is_one_database_for_every_thread() -> None:
    engine = make_engine("sqlite://")
    assert is_memory_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    seen: list[int] = []

    def read() -> None:
        with engine.connect() as conn:
            seen.append(conn.execute(text("SELECT count(*) FROM t")).scalar_one())

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == [1]


def test_a_bad_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as info:
        make_engine("postgresql://user:hunter2-secret@host:notaport/db", "the sync state")
    assert "hunter2-secret" not in str(info.value)
    with pytest.raises(ConfigurationError, match="the sync state"):
        make_engine("not a url at all :: hunter2-secret", "the sync state")
