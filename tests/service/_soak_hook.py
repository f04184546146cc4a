"""The soak's user handler (``tests.service._soak_hook:record``): one row per run of an
event in ``soak_runs``, with the worker's pid and, once the run ends, when it finished.

So the soak sees runs cut short by a SIGKILL (never finished), events run to the end
twice, and which worker ran what. ``OTC_TEST_RECORD_URL`` names the database and
``OTC_TEST_HANDLER_DELAY`` how long each run takes, as for ``_helpers.record``.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from typing import Any

from ._helpers import _record_engine

_CREATE = (
    "CREATE TABLE IF NOT EXISTS soak_runs (id SERIAL PRIMARY KEY, event_id VARCHAR(64) NOT "
    "NULL, pid INTEGER NOT NULL, finished_at DOUBLE PRECISION)"
)


def create_table(url: str) -> None:
    """Before the services start (two processes racing to create it collide)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(_CREATE))
    finally:
        engine.dispose()


def record(event: dict[str, Any]) -> None:
    from sqlalchemy import text

    engine = _record_engine()
    with engine.begin() as conn:
        run = conn.execute(
            text("INSERT INTO soak_runs (event_id, pid) VALUES (:id, :pid) RETURNING id"),
            {"id": event["id"], "pid": os.getpid()},
        ).scalar_one()
    time.sleep(float(os.environ.get("OTC_TEST_HANDLER_DELAY", "0")))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE soak_runs SET finished_at = :at WHERE id = :run"),
            {"at": time.time(), "run": run},
        )


def runs(url: str) -> dict[str, list[tuple[int, float | None]]]:
    """``event_id -> [(pid, finished at or None), ...]``, in the order the runs began."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT event_id, pid, finished_at FROM soak_runs ORDER BY id")
            )
            out: dict[str, list[tuple[int, float | None]]] = defaultdict(list)
            for event_id, pid, finished_at in rows:
                out[event_id].append((int(pid), finished_at))
            return dict(out)
    finally:
        engine.dispose()
