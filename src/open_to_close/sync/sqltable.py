"""A SQL table as a push source and as the external side of a two-way sync.

``SqlTableSource("postgresql://.../crm", "listings", modified_column="updated_at")`` reads
the rows changed after a cursor (all rows when there is no modified column: the two-way
engine then treats a row that is gone as a delete), streamed from the server, and writes
back with ``UPDATE``/``INSERT``/``DELETE`` by the id column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, MetaData, Table, delete, func, insert, select, update
from sqlalchemy.exc import NoSuchTableError

from .._sql import make_engine, require_sqlite_file
from ..exceptions import ConfigurationError
from ._tables import first_key
from ._time import EPOCH, iso, parse_time
from .sources import SourceRow

__all__ = ["SqlTableSource"]


class SqlTableSource:
    def __init__(
        self,
        url: str | Engine,
        table: str,
        *,
        id_column: str = "id",
        modified_column: str | None = None,
        schema: str | None = None,
    ) -> None:
        where = f"the database of table {table!r}"
        if isinstance(url, str):
            require_sqlite_file(url, where)
        self.engine = url if isinstance(url, Engine) else make_engine(url, where)
        try:
            self.table = Table(table, MetaData(), autoload_with=self.engine, schema=schema)
        except NoSuchTableError:
            raise ConfigurationError(f"table {table!r} does not exist in {self._where}") from None
        for column in (id_column, modified_column):
            if column is not None and column not in self.table.c:
                raise ConfigurationError(
                    f"table {table!r} has no column {column!r} "
                    f"(columns: {', '.join(self.table.c.keys())})"
                )
        self.id_column = id_column
        self.modified_column = modified_column
        # Without a change column every row is listed, so a missing one is a delete.
        self.lists_all = modified_column is None

    @property
    def _where(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"SqlTableSource({self._where!r}, {self.table.name!r})"

    def _select(self, since: datetime | None) -> Any:
        query = select(self.table).order_by(self.table.c[self.id_column])
        if since is not None and self.modified_column is not None and since > EPOCH:
            column = self.table.c[self.modified_column]
            # Naive DATETIME columns hold UTC by our convention; compare like with like.
            bound = since if getattr(column.type, "timezone", False) else since.replace(tzinfo=None)
            query = query.where(column > bound)
        return query

    def _stream(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=500).execute(
                self._select(since)
            )
            for row in result:
                yield dict(row._mapping)

    def iter_rows(self, since: datetime | None = None) -> Iterator[SourceRow]:
        for number, data in enumerate(self._stream(since), start=1):
            yield SourceRow(f"row {number} ({self.id_column}={data.get(self.id_column)!r})", data)

    def get_modified_properties(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        return self._stream(since)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(self.table)).scalar_one())

    def get_changes(self, since: datetime | None = None) -> list[dict[str, Any]]:
        changes = []
        for data in self._stream(since if not self.lists_all else None):
            modified = data.get(self.modified_column) if self.modified_column else None
            changes.append(
                {
                    "id": str(data[self.id_column]),
                    "data": data,
                    "modified_at": iso(parse_time(modified)) if modified else None,
                }
            )
        return changes

    def _values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The columns to write; a value for a column the table lacks is an error (it
        would be lost), an empty one is just left out."""
        unknown = [k for k, v in data.items() if k not in self.table.c and v is not None]
        if unknown:
            raise ValueError(
                f"table {self.table.name!r} has no columns {unknown}; add them, or map "
                "those fields elsewhere in the mapping file"
            )
        return {k: v for k, v in data.items() if k in self.table.c}

    @property
    def _key_type(self) -> type:
        try:
            python_type: type = self.table.c[self.id_column].type.python_type
        except NotImplementedError:
            return str
        return python_type

    def _key(self, ext_id: str) -> Any:
        return int(ext_id) if self._key_type is int else ext_id

    def update_property(self, ext_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values({k: v for k, v in data.items() if k != self.id_column})
        if self.modified_column and self.modified_column not in values:
            values[self.modified_column] = func.now()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(self.table)
                .where(self.table.c[self.id_column] == self._key(ext_id))
                .values(values)
            )
        if done.rowcount == 0:
            raise KeyError(f"table {self.table.name!r}: no row with {self.id_column} {ext_id!r}")
        return {**data, "id": str(ext_id)}

    def create_property(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        key = values.get(self.id_column)
        if key in (None, "") or (self._key_type is int and not str(key).isdigit()):
            values.pop(self.id_column, None)  # the table makes its own id
        if self.modified_column and self.modified_column not in values:
            values[self.modified_column] = func.now()
        with self.engine.begin() as conn:
            result = conn.execute(insert(self.table).values(values))
            key = values.get(self.id_column)
            if key is None:
                key = first_key(result)
        return {**data, "id": str(key)}

    def delete_property(self, ext_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(self.table).where(self.table.c[self.id_column] == self._key(ext_id))
            )
