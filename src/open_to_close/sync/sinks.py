"""Where pulled records go: a CSV file, a JSON Lines file, or a SQL table.

Every sink upserts by ``id`` (the Open To Close id): a record pulled again replaces its
row, a new one is added, other rows are kept. File sinks write once per run, atomically
(a temporary file renamed over the old one), so a crash never leaves half a file.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import BigInteger, Column, Engine, Float, MetaData, String, Table, Text, inspect

from .._sql import make_engine
from ._tables import upsert

__all__ = ["CsvSink", "JsonLinesSink", "SqlTableSink"]

Record = Mapping[str, Any]


class _FileSink:
    def __init__(self, path: str | os.PathLike[str], key: str = "id") -> None:
        self.path = Path(path)
        self.key = key
        self._pending: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def write(self, records: Iterable[Record]) -> None:
        for record in records:
            self._pending[str(record[self.key])] = dict(record)

    def _existing(self) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def _dump(self, rows: Iterable[dict[str, Any]], out: TextIO) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Merge what was written into the file (old rows kept unless replaced)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}

        def rows() -> Iterator[dict[str, Any]]:
            if self.path.exists():
                for row in self._existing():
                    replaced = pending.pop(str(row.get(self.key)), None)
                    yield row if replaced is None else replaced
            yield from pending.values()

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                self._dump(rows(), out)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class JsonLinesSink(_FileSink):
    def _existing(self) -> Iterator[dict[str, Any]]:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def _dump(self, rows: Iterable[dict[str, Any]], out: TextIO) -> None:
        for row in rows:
            out.write(json.dumps(row, default=str) + "\n")


class CsvSink(_FileSink):
    def _existing(self) -> Iterator[dict[str, Any]]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)

    def _dump(self, rows: Iterable[dict[str, Any]], out: TextIO) -> None:
        # The header must come first, so the rows are gathered to learn every column.
        everything = list(rows)
        columns: dict[str, None] = {}
        for row in everything:
            columns.update(dict.fromkeys(row))
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
        for row in everything:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


def _column_type(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Text
    return BigInteger if isinstance(value, int) else Float


class SqlTableSink:
    """Upserts into ``table`` (created from the first records' fields if it is missing)."""

    def __init__(self, url: str | Engine, table: str, key: str = "id") -> None:
        where = f"the database of table {table!r}"
        self.engine = url if isinstance(url, Engine) else make_engine(url, where)
        self.name, self.key = table, key
        self.table: Table | None = None
        self.dropped: set[str] = set()  # fields the table has no column for
        if inspect(self.engine).has_table(table):
            self.table = Table(table, MetaData(), autoload_with=self.engine)

    def __repr__(self) -> str:
        return (
            f"SqlTableSink({self.engine.url.render_as_string(hide_password=True)!r}, {self.name!r})"
        )

    def _create(self, records: list[Record]) -> Table:
        types: dict[str, Any] = {}
        for record in records:
            for name, value in record.items():
                if name != self.key and (name not in types or value is not None):
                    types[name] = _column_type(value)
        columns = [Column(self.key, String(100), primary_key=True)]
        columns += [Column(name, type_) for name, type_ in types.items()]
        table = Table(self.name, MetaData(), *columns)
        table.create(self.engine)
        return table

    def write(self, records: Iterable[Record]) -> None:
        batch = list(records)
        if not batch:
            return
        if self.table is None:
            self.table = self._create(batch)
        table = self.table
        known = set(table.c.keys())
        rows = []
        for record in batch:
            self.dropped.update(k for k in record if k not in known)
            row = {k: record.get(k) for k in known}
            row[self.key] = str(record[self.key])
            rows.append(row)
        with self.engine.begin() as conn:
            conn.execute(upsert(self.engine, table, [self.key]), rows)

    def close(self) -> None:
        self.engine.dispose()
