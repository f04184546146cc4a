"""Engines for the SQL caches: the package's one engine factory (``open_to_close._sql``)."""

from __future__ import annotations

from sqlalchemy import Engine

from .. import _sql
from .._sql import is_memory_sqlite

__all__ = ["is_memory_sqlite", "make_engine"]


def make_engine(db_url: str) -> Engine:
    return _sql.make_engine(db_url, "the cache (db_url)")
