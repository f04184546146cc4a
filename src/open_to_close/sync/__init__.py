"""Sync: keep a CRM, a listings feed or a database and Open To Close in step.

- :class:`PropertySyncService`: one way, external source -> Open To Close.
- :class:`TwoWayPropertySync`: both ways, conflicts found against the last synced snapshot.
- :class:`PropertyPull`: Open To Close -> a file or table, incrementally.
- Sources and sinks for CSV, JSON Lines and SQL tables; :class:`SyncState` remembers links,
  cursors, conflicts and run history in SQL (SQLite by default, PostgreSQL by URL).
"""

from .lock import SyncLockedError
from .mapping import FieldMapping, FieldRule, RowError, load_mapping
from .pull import PropertyPull
from .push import PropertySyncService
from .sinks import CsvSink, JsonLinesSink, SqlTableSink
from .sources import CsvSource, JsonLinesSource, SourceRow
from .sqltable import SqlTableSource
from .state import SyncState
from .twoway import TwoWayPropertySync

__all__ = [
    "CsvSink",
    "CsvSource",
    "FieldMapping",
    "FieldRule",
    "JsonLinesSink",
    "JsonLinesSource",
    "PropertyPull",
    "PropertySyncService",
    "RowError",
    "SourceRow",
    "SqlTableSink",
    "SqlTableSource",
    "SyncLockedError",
    "SyncState",
    "TwoWayPropertySync",
    "load_mapping",
]
