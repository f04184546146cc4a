"""The ``otc`` command: the demo runs end to end and reports what it did."""

from __future__ import annotations

from typer.testing import CliRunner

from open_to_close.cli import app

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output and "sandbox" in result.output


def test_demo_runs_and_makes_no_duplicates() -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Summary" in out
    assert "duplicates: 0" in out
    assert "injected faults" in out
