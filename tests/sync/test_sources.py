"""Sources and sinks: CSV, JSON Lines and SQL tables, read lazily, bad rows located."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
)

from open_to_close import OpenToCloseAPI
from open_to_close.exceptions import ConfigurationError
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import (
    CsvSink,
    CsvSource,
    JsonLinesSink,
    JsonLinesSource,
    PropertySyncService,
    SqlTableSink,
    SqlTableSource,
    SyncState,
    TwoWayPropertySync,
)
from open_to_close.sync.endpoints import open_sink, open_source

from ._data import ID_FIELD, PG_URL, field_value, listing


def test_csv_rows_carry_their_line(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "\ufeffid,street_address,notes\n"  # a spreadsheet's byte-order mark
        '1,1 A St,"two\nlines"\n'
        "2,2 B St,x,surplus\n"
        "3,3 C St,y\n"
    )
    rows = list(CsvSource(path).iter_rows())
    assert [r.where for r in rows] == ["line 2", "line 4", "line 5"]
    assert rows[0].data == {"id": "1", "street_address": "1 A St", "notes": "two\nlines"}
    assert rows[1].data is None and "more values than the 3 columns" in (rows[1].error or "")
    assert CsvSource(path).count() == 3


def test_json_lines_bad_lines_are_located(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"id": 1}\n\n[1, 2]\n{"id": \n{"id": 2}\n')
    rows = list(JsonLinesSource(path).iter_rows())
    assert [(r.where, r.error is None) for r in rows] == [
        ("line 1", True),
        ("line 3", False),
        ("line 4", False),
        ("line 5", True),
    ]
    assert "expected a JSON object" in (rows[1].error or "")
    assert list(JsonLinesSource(path).get_modified_properties()) == [{"id": 1}, {"id": 2}]


def test_a_modified_field_filters_by_the_cursor(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    lines = [
        {"id": 1, "updated": "2026-01-01T00:00:00Z"},
        {"id": 2, "updated": "2026-03-01T00:00:00"},  # no zone: UTC
        {"id": 3, "updated": "yesterday"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    source = JsonLinesSource(path, modified_field="updated")
    rows = list(source.iter_rows(datetime(2026, 2, 1, tzinfo=UTC)))
    assert [(r.data or {}).get("id") for r in rows] == [2, None]
    assert "yesterday" in (rows[1].error or "")


def test_endpoints_are_chosen_by_suffix_or_url(tmp_path: Path) -> None:
    assert isinstance(open_sink(str(tmp_path / "a.csv")), CsvSink)
    assert isinstance(open_sink(str(tmp_path / "a.ndjson")), JsonLinesSink)
    with pytest.raises(ConfigurationError, match="no such file"):
        open_source(str(tmp_path / "missing.csv"))
    with pytest.raises(ConfigurationError, match="--table"):
        open_source("sqlite:///x.db")


def test_file_sinks_upsert_by_id(tmp_path: Path) -> None:
    for sink_type, name in ((CsvSink, "out.csv"), (JsonLinesSink, "out.jsonl")):
        path = tmp_path / name
        sink = sink_type(path)
        sink.write([{"id": 1, "city": "A"}, {"id": 2, "city": "B"}])
        sink.close()
        sink = sink_type(path)
        sink.write([{"id": 2, "city": "C", "zip_code": "9"}, {"id": 3, "city": "D"}])
        sink.close()
        if name.endswith(".csv"):
            with path.open() as handle:
                got = [(r["id"], r["city"], r.get("zip_code")) for r in csv.DictReader(handle)]
            assert got == [("1", "A", ""), ("2", "C", "9"), ("3", "D", "")]
        else:
            got_json = [json.loads(line) for line in path.read_text().splitlines()]
            assert [r["city"] for r in got_json] == ["A", "C", "D"]


@pytest.fixture(params=["sqlite", "postgresql"])
def crm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database URL and a listings table in it (uniquely named on PostgreSQL)."""
    url = f"sqlite:///{tmp_path / 'crm.db'}" if request.param == "sqlite" else PG_URL
    name = f"listings_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    table = Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("street_address", String(200)),
        Column("city", String(100)),
        Column("price", Float),
        Column("status", String(30)),
        Column("type", String(30)),
        Column("updated_at", DateTime),
    )
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {
                    "street_address": f"{n} Main St",
                    "city": "Austin",
                    "price": 100 + n,
                    "status": "for_sale",
                }
                for n in range(5)
            ],
        )
    yield url, name
    table.drop(engine)
    engine.dispose()


def test_push_from_a_sql_table(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState, crm: tuple[str, str]
) -> None:
    url, name = crm
    source = SqlTableSource(url, name)
    service = PropertySyncService(client, source, state=sqlite_state, external_id_field=ID_FIELD)
    result = service.sync_properties()
    assert (result["created"], result["errors"]) == (5, 0)
    found = client.properties.list_properties({ID_FIELD: "3"})
    assert found[0]["listing_price"] == 102  # ids start at 1 and found[0]["city"] == "Austin"
    assert service.sync_properties()["unchanged"] == 5


def test_a_sql_table_as_the_external_side(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState, crm: tuple[str, str]
) -> None:
    url, name = crm
    side = SqlTableSource(url, name)  # no change column: every run lists all rows
    sync = TwoWayPropertySync(client, side, state=sqlite_state, external_id_field=ID_FIELD)
    client.properties.create_property({"address": "9 Otc Way", "listing_price": 9})
    first = sync.sync_bidirectional()
    assert first["external_to_otc"]["created"] == 5 and first["otc_to_external"]["created"] == 1

    side.delete_property("2")  # someone deletes a row in the CRM
    otc_id = client.properties.list_properties({ID_FIELD: "4"})[0]["id"]
    client.properties.update_property(otc_id, {"city": "Reno"})
    second = sync.sync_bidirectional()
    assert second["external_to_otc"]["deleted"] == 1 and second["otc_to_external"]["updated"] == 1
    with side.engine.connect() as conn:
        rows = {str(r.id): r for r in conn.execute(select(side.table))}
    assert rows["4"].city == "Reno" and "2" not in rows and len(rows) == 5
    assert client.properties.list_properties({ID_FIELD: "2"}) == []
    assert sync.sync_bidirectional()["otc_to_external"]["updated"] == 0


def test_sql_table_sink_upserts(crm: tuple[str, str]) -> None:
    url, _ = crm
    name = f"pulled_{uuid.uuid4().hex[:10]}"
    sink = SqlTableSink(url, name)
    try:
        sink.write(
            [{"id": 1, "address": "1 A St", "listing_price": 5}, {"id": 2, "address": "2 B"}]
        )
        sink.write([{"id": 2, "address": "2 B St", "listing_price": 7, "new_field": "x"}])
        with sink.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(sink.table))}  # type: ignore[arg-type]
        assert rows["2"].address == "2 B St" and rows["2"].listing_price == 7 and len(rows) == 2
        assert sink.dropped == {"new_field"}
    finally:
        if sink.table is not None:
            sink.table.drop(sink.engine)
        sink.close()


def test_a_csv_file_as_the_external_side(
    sb: SandboxServer, client: OpenToCloseAPI, sqlite_state: SyncState, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(listing(0)))
        writer.writeheader()
        writer.writerows([listing(0), listing(1)])
    client.properties.create_property({"address": "9 Otc Way", ID_FIELD: "mine-9"})
    sync = TwoWayPropertySync(
        client, CsvSource(path), state=sqlite_state, external_id_field=ID_FIELD
    )
    sync.sync_bidirectional()
    with path.open() as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert (
        set(rows) == {"ext_0", "ext_1", "mine-9"}
        and rows["mine-9"]["street_address"] == "9 Otc Way"
    )
    assert len(client.properties.list_properties()) == 3

    del rows["ext_0"]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows["ext_1"]))
        writer.writeheader()
        writer.writerows(rows.values())
    again = TwoWayPropertySync(
        client, CsvSource(path), state=sqlite_state, external_id_field=ID_FIELD
    )
    result = again.sync_bidirectional()
    assert result["external_to_otc"]["deleted"] == 1
    assert sorted(field_value(p, ID_FIELD) for p in client.properties.list_properties()) == [
        "ext_1",
        "mine-9",
    ]
