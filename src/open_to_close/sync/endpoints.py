"""Open a source or sink from what a person types: a file path or a database URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..exceptions import ConfigurationError
from .mapping import FieldMapping
from .sinks import CsvSink, JsonLinesSink, SqlTableSink
from .sources import CsvSource, JsonLinesSource
from .sqltable import SqlTableSource

__all__ = ["open_sink", "open_source"]

_JSON_LINES = (".jsonl", ".ndjson")


def _kind(spec: str, table: str | None) -> str:
    if "://" in spec:
        if not table:
            raise ConfigurationError(f"{spec} is a database: name the table with --table")
        return "sql"
    suffix = Path(spec).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in _JSON_LINES:
        return "jsonl"
    raise ConfigurationError(
        f"don't know how to read {spec!r}: use a .csv or .jsonl file, or a database URL "
        "(e.g. sqlite:///crm.db) with --table"
    )


def open_source(
    spec: str,
    table: str | None = None,
    mapping: FieldMapping | None = None,
    *,
    must_exist: bool = True,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Any:
    """A :class:`CsvSource`, :class:`JsonLinesSource` or :class:`SqlTableSource`.

    ``encoding`` is a file's; ``delimiter`` a CSV file's. A CSV header must hold the
    mapping's id field and required fields."""
    mapping = mapping or FieldMapping()
    kind = _kind(spec, table)
    if kind == "sql":
        assert table is not None
        return SqlTableSource(
            spec, table, id_column=mapping.id_field, modified_column=mapping.modified_field
        )
    path = Path(spec)
    if must_exist and not path.is_file():
        raise ConfigurationError(f"{spec}: no such file")
    if kind == "jsonl":
        return JsonLinesSource(
            path,
            id_field=mapping.id_field,
            modified_field=mapping.modified_field,
            encoding=encoding,
        )
    return CsvSource(
        path,
        id_field=mapping.id_field,
        modified_field=mapping.modified_field,
        delimiter=delimiter,
        encoding=encoding,
        columns=[rule.source for rule in mapping.fields],
        required=[rule.source for rule in mapping.fields if rule.required],
    )


def open_sink(spec: str, table: str | None = None) -> Any:
    """A :class:`CsvSink`, :class:`JsonLinesSink` or :class:`SqlTableSink`."""
    kind = _kind(spec, table)
    if kind == "sql":
        assert table is not None
        return SqlTableSink(spec, table)
    return CsvSink(spec) if kind == "csv" else JsonLinesSink(spec)
