"""``otc sync ...`` end to end against the sandbox, state on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer

from ._data import ID_FIELD, PG_URL, listing

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A state URL; on PostgreSQL a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def otc(sb: SandboxServer, *args: str) -> tuple[int, str]:
    env = {
        "OPEN_TO_CLOSE_API_KEY": sb.api_key,
        "OPEN_TO_CLOSE_BASE_URL": sb.base_url,
        "COLUMNS": "200",
    }
    result = runner.invoke(
        __import__("open_to_close.cli", fromlist=["app"]).app, list(args), env=env
    )
    return result.exit_code, result.output


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_push_a_csv_reports_bad_rows_and_exits_non_zero(
    sb: SandboxServer, tmp_path: Path, state_url: str
) -> None:
    rows = [listing(n) for n in range(6)]
    rows[2]["price"] = "1.2.3"
    rows[4]["id"] = ""
    source = tmp_path / "listings.csv"
    _write_csv(source, rows)

    code, out = otc(sb, "sync", "push", str(source), "--state", state_url)
    assert code == 1, out
    assert re.search(r"created\s+│\s+4", out) and re.search(r"errors\s+│\s+2", out)
    assert "line 4" in out and "unparseable price '1.2.3'" in out
    assert "line 6" in out and "missing id" in out

    rows[2]["price"] = 1
    rows[4]["id"] = "ext_4"
    _write_csv(source, rows)
    code, out = otc(sb, "sync", "push", str(source), "--state", state_url)
    assert code == 0, out
    assert re.search(r"created\s+│\s+2", out) and re.search(r"unchanged\s+│\s+4", out)
    assert re.search(r"requests to find records\s+│\s+0", out)  # no id field: no lookups

    code, out = otc(sb, "sync", "history", "--state", state_url)
    assert code == 0 and "push:listings.csv" in out and "partial" in out and "ok" in out


def test_dry_run_writes_nothing(sb: SandboxServer, tmp_path: Path) -> None:
    source = tmp_path / "feed.jsonl"
    source.write_text("\n".join(json.dumps(listing(n)) for n in range(3)) + "\n{not json\n")
    state = f"sqlite:///{tmp_path / 's.db'}"
    code, out = otc(sb, "sync", "push", str(source), "--dry-run", "--state", state)
    assert code == 1 and "dry run" in out and "line 4" in out and "not valid JSON" in out
    assert sb.stats()["requests"].get("POST /properties", 0) == 0


def test_bad_arguments_say_what_to_fix(sb: SandboxServer, tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 's.db'}"
    code, out = otc(sb, "sync", "push", str(tmp_path / "x.xlsx"), "--state", state)
    assert code == 2 and "use a .csv or .jsonl file" in out
    code, out = otc(sb, "sync", "push", "sqlite:///crm.db", "--state", state)
    assert code == 2 and "--table" in out
    mapping = tmp_path / "m.toml"
    mapping.write_text('[fields]\naddress = { source = "street", type = "money" }\n')
    source = tmp_path / "a.csv"
    _write_csv(source, [listing(1)])
    code, out = otc(sb, "sync", "push", str(source), "--mapping", str(mapping), "--state", state)
    assert code == 2 and "fields.address.type" in out


def test_manual_conflict_resolved_from_the_cli(
    sb: SandboxServer, tmp_path: Path, state_url: str
) -> None:
    crm = tmp_path / "crm.jsonl"
    crm.write_text(json.dumps(listing(1)) + "\n")
    base = ["--state", state_url, "--strategy", "manual", "--external-id-field", ID_FIELD]
    code, out = otc(sb, "sync", "two-way", str(crm), *base)
    assert code == 0, out

    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        (prop,) = client.properties.list_properties({ID_FIELD: "ext_1"})
        client.properties.update_property(prop["id"], {"listing_price": 111})
        crm.write_text(json.dumps(listing(1, price=222)) + "\n")
        code, out = otc(sb, "sync", "two-way", str(crm), *base)
        assert code == 0 and "manual_required" in out, out

        code, out = otc(sb, "sync", "conflicts", "list", "--state", state_url)
        assert "listing_price=111" in out and "listing_price=222" in out
        conflict_id = re.search(r"│\s*(\d+)\s*│\s*two-way:crm.jsonl", out)
        assert conflict_id, out
        code, out = otc(
            sb,
            "sync",
            "conflicts",
            "resolve",
            conflict_id.group(1),
            "--use",
            "external",
            "--state",
            state_url,
        )
        assert code == 0 and "external wins" in out

        code, out = otc(sb, "sync", "two-way", str(crm), *base)
        assert code == 0, out
        assert client.properties.retrieve_property(prop["id"])["listing_price"] == 222
        assert json.loads(crm.read_text())["price"] == 222
    code, out = otc(sb, "sync", "conflicts", "list", "--state", state_url)
    assert "No open conflicts" in out


def test_pull_is_incremental(sb: SandboxServer, tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 's.db'}"
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        ids = [
            client.properties.create_property({"address": f"{n} Pull St"})["id"] for n in range(3)
        ]
        for dest in ("out.csv", "out.jsonl"):
            code, out = otc(sb, "sync", "pull", str(tmp_path / dest), "--state", state)
            assert code == 0 and re.search(r"records written\s+│\s+3", out), out
        client.properties.update_property(ids[1], {"city": "Reno"})
        code, out = otc(sb, "sync", "pull", str(tmp_path / "out.csv"), "--state", state)
        # Every record is read (no updated_at on the live API); only the changed one written.
        assert re.search(r"records written\s+│\s+1", out), out
        assert re.search(r"records read\s+│\s+3", out) and re.search(r"requests\s+│\s+\d", out)
    with (tmp_path / "out.csv").open() as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 3 and rows[str(ids[1])]["city"] == "Reno"
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["address"] for line in lines] == [
        "0 Pull St",
        "1 Pull St",
        "2 Pull St",
    ]
