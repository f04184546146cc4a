"""A newcomer's first hour with ``otc`` (docs/cli.md, docs/sync.md): output read at 80
columns is whole, counts are spelled out, and an empty folder says what fills it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from open_to_close import OpenToCloseAPI
from open_to_close.cli import app
from open_to_close.sandbox import SandboxServer

runner = CliRunner()


def _env(sb: SandboxServer, state: Path) -> dict[str, str]:
    return {
        "COLUMNS": "80",
        "OPEN_TO_CLOSE_API_KEY": sb.api_key,
        "OPEN_TO_CLOSE_BASE_URL": sb.base_url,
        "OTC_SYNC_STATE": f"sqlite:///{state}",
    }


def _flat(output: str) -> str:
    """The output's words, without the tables' borders and line breaks."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘┌┐╇╈┳┻━─╭╮╰╯]", " ", output).split())


def test_two_way_history_spells_out_its_counts(sb: SandboxServer, tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("id,street_address,city,price\nNC-1,1 Newcomer Rd,Austin,100000\n")
    env = _env(sb, tmp_path / "state.db")
    synced = runner.invoke(app, ["sync", "two-way", str(crm), "--job", "nc-history"], env=env)
    assert synced.exit_code == 0, synced.output
    out = runner.invoke(app, ["sync", "history", "--job", "nc-history"], env=env).output
    # Was "external to otc: c1, otc to external: c4": c for created, and c for conflicts.
    assert re.search(r"\b[cud]\d+\b", out) is None, out
    assert "external to otc: created 1" in _flat(out), out


def test_conflicts_list_shows_both_values_whole_at_80_columns(
    sb: SandboxServer, tmp_path: Path
) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("id,street_address,city\nNC-2,2 Newcomer Rd,Austin\n")
    env = _env(sb, tmp_path / "state.db")
    args = ["sync", "two-way", str(crm), "--job", "nc-conflict", "--strategy", "manual"]
    assert runner.invoke(app, args, env=env).exit_code == 0
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        (prop,) = client.properties.iter_properties({"address": "2 Newcomer Rd"})
        client.properties.update_property(prop["id"], {"city": "Houston"})
    crm.write_text("id,street_address,city\nNC-2,2 Newcomer Rd,Dallas\n")
    assert runner.invoke(app, args, env=env).exit_code == 0
    result = runner.invoke(app, ["sync", "conflicts", "list", "--job", "nc-conflict"], env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "…" not in out, out  # was city='Ho… and city='D…: nothing to choose between
    assert all(len(line) <= 80 for line in out.splitlines()), out
    cells = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    columns = ["".join(part.strip() for part in column) for column in zip(*cells, strict=True)]
    assert columns[5:7] == ["city='Houston'", "city='Dallas'"], out  # one row, folded whole


def test_account_field_keys_are_never_cut_at_80_columns(sb: SandboxServer) -> None:
    env = {"COLUMNS": "80", "OPEN_TO_CLOSE_API_KEY": sb.api_key}
    result = runner.invoke(app, ["account", "--base-url", sb.base_url], env=env)
    assert result.exit_code == 0, result.output
    assert "…" not in result.output  # was "property_in_s…": the key a mapping needs
    assert "team_member_id picks another" in _flat(result.output)


@pytest.mark.parametrize(
    ("command", "option", "made_by"),
    [
        (["queue", "stats"], "--queue", "otc serve, otc worker and queue.connect() make it"),
        (["queue", "dead-letters"], "--queue", "otc serve, otc worker"),
        (["cache", "clear"], "--cache", "otc cache warm and SQLCache() make it"),
    ],
)
def test_an_empty_folder_says_what_makes_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], option: str, made_by: str
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"COLUMNS": "200", "OTC_QUEUE_URL": "", "OTC_CACHE_URL": ""}
    result = runner.invoke(app, command, env=env)
    assert result.exit_code == 2, result.output
    out = _flat(result.output)
    assert f"{option}: {option}" not in out, out  # was "Invalid value for --queue: --queue:"
    assert made_by in out and f"give {option} URL" in out, out
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_sandbox_help_names_the_flags_it_means() -> None:
    out = _flat(runner.invoke(app, ["sandbox", "--help"], env={"COLUMNS": "80"}).output)
    assert "flags above" not in out  # they are listed below it
    assert "--rate-limit-headers and --idempotency-keys turn those two extensions on" in out
