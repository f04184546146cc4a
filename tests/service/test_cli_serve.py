"""``otc serve`` refuses a broken config before starting anything, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from open_to_close.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "otc.example.toml"


def test_check_accepts_the_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "listings.csv").write_text("listing_id,street_address\n")
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", "k")
    monkeypatch.setenv("OTC_WEBHOOK_SECRET", "s")
    result = runner.invoke(app, ["serve", "--check", "--config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "config OK" in result.output


@pytest.mark.defect(19)
def test_check_names_what_serve_would_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPEN_TO_CLOSE_API_KEY", raising=False)
    monkeypatch.delenv("OTC_WEBHOOK_SECRET", raising=False)
    result = runner.invoke(app, ["serve", "--check", "--config", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "config OK" not in result.output
    assert "OPEN_TO_CLOSE_API_KEY is not set" in result.output
    assert "OTC_WEBHOOK_SECRET" in result.output
    assert "sync.jobs[0] (listings).source: no file listings.csv" in result.output


def test_broken_config_does_not_start(tmp_path: Path) -> None:
    bad = tmp_path / "otc.toml"
    bad.write_text('[queue]\nurl = "ftp://nowhere"\n[server]\nport = "eighty"\n')
    result = runner.invoke(app, ["serve", "--config", str(bad)])
    assert result.exit_code == 2
    assert "queue.url" in result.output and "server.port" in result.output


def test_unknown_role(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--role", "chef"])
    assert result.exit_code == 2
    assert "web, worker or scheduler" in result.output


def test_missing_webhook_secret_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTC_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", "k-1234")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "OTC_WEBHOOK_SECRET" in result.output


def test_otc_worker_runs_the_worker_role_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    config = tmp_path / "otc.toml"
    config.write_text(
        f'[api]\nbase_url = "http://127.0.0.1:9/v1"\n'
        f'[queue]\nurl = "sqlite:///{tmp_path}/q.db"\n'
        f'[state]\nurl = "sqlite:///{tmp_path}/s.db"\n'
    )
    env = {
        **os.environ,
        "OTC_WEBHOOK_SECRET": "whsec-x",
        "OPEN_TO_CLOSE_API_KEY": "k-1234",
        "NO_COLOR": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "open_to_close.cli", "worker", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        line = ""
        while "worker" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "otc serve:" in line and "worker" in line, line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
