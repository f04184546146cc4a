"""The ``otc`` command: the demo runs end to end and reports what it did."""

from __future__ import annotations

import pytest
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
    # The dead letter's hint: the demo's queue is gone when it ends (otc queue found nothing).
    assert "the demo's queue is deleted when it ends" in " ".join(out.split())


@pytest.mark.defect(25)
def test_version() -> None:
    from open_to_close import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"open-to-close {__version__}"


@pytest.mark.defect(18)
def test_the_client_file_and_the_service_file_have_different_names() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
    text = docs.read_text()
    assert "# client.toml" in text and "otc.toml" not in text
