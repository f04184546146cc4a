"""Where records come from: CSV, JSON Lines, a SQL table, or any object of yours.

Every adapter here is both a push source (``get_modified_properties(since)``, the guide's
method) and the external side of a two-way sync (``get_changes``, ``update_property``,
``create_property``, ``delete_property``). They also yield :class:`SourceRow` from
``iter_rows(since)``, lazily and with the row's place in the file, so a bad row is reported
as "line 17: unparseable price 'abc'" and a 100,000-row file is never held in memory.

Files have no change log, so ``get_changes`` lists every row (``lists_all`` is true): the
two-way engine compares each with the last synced snapshot, and a row that is gone is a
delete. Writes to a file are kept in memory and written, atomically, by ``flush()``.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..exceptions import ConfigurationError
from ._time import EPOCH, iso, parse_time

__all__ = [
    "CsvSource",
    "JsonLinesSource",
    "PropertySource",
    "SourceFormatError",
    "SourceRow",
    "iter_source_rows",
]


@runtime_checkable
class PropertySource(Protocol):
    """The guide's source: anything with ``get_modified_properties(since)``."""

    def get_modified_properties(self, since: datetime) -> Iterable[Mapping[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One record read from a source, or why it couldn't be read (``error``)."""

    where: str  # "line 7", "row 3": how a person finds it in the source
    data: Mapping[str, Any] | None
    error: str | None = None


def iter_source_rows(source: Any, since: datetime) -> Iterator[SourceRow]:
    """The rows of any source: ``iter_rows`` when it has one, else the guide's method."""
    if hasattr(source, "iter_rows"):
        yield from source.iter_rows(since)
        return
    for number, item in enumerate(source.get_modified_properties(since), start=1):
        if isinstance(item, Mapping):
            yield SourceRow(f"record {number}", item)
        else:
            yield SourceRow(f"record {number}", None, f"not a dict: {type(item).__name__}")


class SourceFormatError(ConfigurationError):
    """A file that can't be read at all (wrong header, delimiter or encoding): one error
    for the run, instead of the same error for every row."""


def _bad_line(path: Path, encoding: str) -> int | None:
    """The first line of ``path`` that doesn't decode (1-based), read again in binary."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        for chunk in handle:
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                return line
            line += text.count("\n")
    return None


class _FileSource:
    """What CSV and JSON Lines share: the since filter, the in-memory table for writes."""

    lists_all = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        id_field: str = "id",
        modified_field: str | None = None,
        encoding: str = "utf-8",
    ) -> None:
        self.path = Path(path)
        self.id_field = id_field
        self.modified_field = modified_field
        try:
            self.encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigurationError(f"unknown encoding {encoding!r}") from None
        self._table: dict[str, dict[str, Any]] | None = None
        self._dirty = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def _read(self) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
        """Every row, or one :class:`SourceFormatError` naming the line that doesn't decode."""
        try:
            yield from self._parse()
        except UnicodeDecodeError as exc:
            line = _bad_line(self.path, self.encoding)
            where = f"line {line}" if line is not None else f"byte {exc.start}"
            raise SourceFormatError(
                f"{self.path}: {where} is not valid {self.encoding} ({exc.reason}); "
                "name the file's encoding (encoding=..., --encoding), e.g. cp1252 or latin-1"
            ) from None

    def _parse(self) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
        raise NotImplementedError

    def _write(self, rows: Iterable[dict[str, Any]], out: Any) -> None:
        raise NotImplementedError

    def _modified(self, data: Mapping[str, Any]) -> datetime | None:
        if self.modified_field is None:
            return None
        value = data.get(self.modified_field)
        return None if value in (None, "") else parse_time(value)

    def iter_rows(self, since: datetime | None = None) -> Iterator[SourceRow]:
        """Rows modified after ``since`` (all rows when there is no modified field)."""
        for where, data, error in self._read():
            if data is None:
                yield SourceRow(where, None, error)
                continue
            try:
                modified = self._modified(data)
            except ValueError as exc:
                yield SourceRow(where, None, f"{self.modified_field}: {exc}")
                continue
            if since is None or modified is None or modified > since:
                yield SourceRow(where, data)

    def get_modified_properties(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """The guide's method: the readable rows modified after ``since``."""
        for row in self.iter_rows(since):
            if row.data is not None:
                yield dict(row.data)

    def count(self) -> int:
        """How many rows the file holds (for a progress bar)."""
        return sum(1 for _ in self._read())

    # -- the external side of a two-way sync ------------------------------------------------

    def _rows(self) -> dict[str, dict[str, Any]]:
        if self._table is None:
            table: dict[str, dict[str, Any]] = {}
            if self.path.exists():
                for _, data, _error in self._read():
                    if data is not None and data.get(self.id_field) not in (None, ""):
                        table[str(data[self.id_field])] = dict(data)
            self._table = table
        return self._table

    def get_changes(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every row as ``{"id", "data", "modified_at"}`` (a file has no change log)."""
        mtime = iso(parse_time(self.path.stat().st_mtime)) if self.path.exists() else iso(EPOCH)
        changes = []
        for ext_id, data in self._rows().items():
            modified = self._modified(data)
            changes.append(
                {
                    "id": ext_id,
                    "data": dict(data),
                    "modified_at": iso(modified) if modified else mtime,
                }
            )
        return changes

    def update_property(self, ext_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        rows = self._rows()
        if str(ext_id) not in rows:
            raise KeyError(f"{self.path}: no row with {self.id_field} {ext_id!r}")
        rows[str(ext_id)].update(data)
        self._dirty = True
        return {**rows[str(ext_id)], "id": str(ext_id)}

    def create_property(self, data: Mapping[str, Any]) -> dict[str, Any]:
        rows = self._rows()
        ext_id = str(data.get(self.id_field) or "")
        if not ext_id or ext_id in rows:
            ext_id = uuid.uuid4().hex[:12]
        rows[ext_id] = {**data, self.id_field: ext_id}
        self._dirty = True
        return {**rows[ext_id], "id": ext_id}

    def delete_property(self, ext_id: str) -> None:
        if self._rows().pop(str(ext_id), None) is not None:
            self._dirty = True

    def flush(self) -> None:
        """Write the changes made through the methods above, atomically (temp + rename)."""
        if not self._dirty or self._table is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding=self.encoding, newline="") as out:
                self._write(self._table.values(), out)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._dirty = False


class CsvSource(_FileSource):
    """A CSV file with a header row. Values arrive as text; the mapping converts them."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        id_field: str = "id",
        modified_field: str | None = None,
        delimiter: str = ",",
        encoding: str = "utf-8",
        columns: Iterable[str] = (),
        required: Iterable[str] = (),
    ) -> None:
        super().__init__(path, id_field=id_field, modified_field=modified_field, encoding=encoding)
        self.delimiter = delimiter
        # What the header must hold (the id and ``required``), and what the message about
        # a wrong header lists (``columns``: the mapping's source fields).
        self.required = list(dict.fromkeys((id_field, *required)))
        self.columns = list(dict.fromkeys((id_field, *columns, *required)))
        self._fieldnames: list[str] = []

    def _check_header(self, header: list[str]) -> None:
        """A header without the id (or a required column) would fail every row alike."""
        missing = [name for name in self.required if name not in header]
        if not missing:
            return
        found = ", ".join(repr(h) for h in header[:8]) + (", ..." if len(header) > 8 else "")
        hint = ""
        if len(header) == 1:
            guess = next((d for d in ",;\t|" if d != self.delimiter and d in header[0]), None)
            if guess is not None:
                hint = f"; the header looks {guess!r}-separated (delimiter={guess!r}, --delimiter)"
        raise SourceFormatError(
            f"{self.path}: the header has no {', '.join(map(repr, missing))} column; expected "
            f"the columns {', '.join(self.columns)} (found {found}){hint}"
        )

    def _parse(self) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
        # utf-8-sig: spreadsheets often save a byte-order mark before the header.
        encoding = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        with self.path.open(encoding=encoding, newline="") as handle:
            reader = csv.DictReader(handle, delimiter=self.delimiter)
            self._fieldnames = list(reader.fieldnames or [])
            if reader.fieldnames is not None:  # None: an empty file, no rows
                self._check_header(self._fieldnames)
            line = reader.line_num
            for raw in reader:
                where, line = f"line {line + 1}", reader.line_num
                if None in raw:  # DictReader files surplus values under the key None
                    yield where, None, f"more values than the {len(self._fieldnames)} columns"
                    continue
                yield where, {k: v for k, v in raw.items() if k is not None}, None

    def _write(self, rows: Iterable[dict[str, Any]], out: Any) -> None:
        rows = list(rows)
        fields = list(self._fieldnames)
        for row in rows:
            fields.extend(k for k in row if k not in fields)
        writer = csv.DictWriter(out, fieldnames=fields, delimiter=self.delimiter)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


class JsonLinesSource(_FileSource):
    """A JSON Lines file: one JSON object per line; blank lines are skipped."""

    def _parse(self) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
        with self.path.open(encoding=self.encoding) as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                where = f"line {number}"
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield where, None, f"not valid JSON: {exc.msg} (column {exc.colno})"
                    continue
                if not isinstance(data, dict):
                    yield where, None, f"expected a JSON object, got {type(data).__name__}"
                    continue
                yield where, data, None

    def _write(self, rows: Iterable[dict[str, Any]], out: Any) -> None:
        for row in rows:
            out.write(json.dumps(row, default=str) + "\n")
