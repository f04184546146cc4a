"""``otc sandbox``: flag checking, and a real serve that is stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from typer.testing import CliRunner

from open_to_close.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--rate-limit", "5/h"], "N/s or N/m"),
        (["--rate-limit", "0/s"], "N/s or N/m"),
        (["--fault-rate", "1.5"], "0.0 to 1.0"),
        (["--port", "70000"], "--port"),
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--seed", "-1"], "--seed"),
        (["--api-key", ""], "must not be empty"),
        (["--db", "/no/such/dir/x.db"], "does not exist"),
    ],
)
def test_bad_flags_say_what_to_fix(args: list[str], hint: str) -> None:
    result = runner.invoke(app, ["sandbox", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert hint in result.output


def test_help_lists_every_flag() -> None:
    result = runner.invoke(app, ["sandbox", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in (
        "--host",
        "--port",
        "--api-key",
        "--webhook-secret",
        "--db",
        "--seed",
        "--fault-rate",
        "--latency-ms",
        "--rate-limit",
        "--rate-limit-headers",
        "--idempotency-keys",
    ):
        assert flag in result.output


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_serves_until_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    command = [
        sys.executable,
        "-c",
        "from open_to_close.cli import app; app()",
        "sandbox",
        "--port",
        "0",
        "--db",
        str(db),
        "--seed",
        "2",
        "--api-key",
        "cli-key",
        "--rate-limit",
        "100/s",
        "--rate-limit-headers",
        "--idempotency-keys",
    ]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline().decode()
            lines.append(line)
            if "OPEN_TO_CLOSE_API_KEY" in line:
                break
        output = "".join(lines)
        match = re.search(r"OPEN_TO_CLOSE_BASE_URL=(http://127\.0\.0\.1:\d+/v1)", output)
        assert match, output
        assert "OPEN_TO_CLOSE_API_KEY=cli-key" in output
        base_url = match.group(1)
        for _ in range(100):  # the banner prints just before uvicorn accepts
            try:
                response = httpx2.get(f"{base_url}/properties", params={"api_token": "cli-key"})
                break
            except httpx2.ConnectError:
                time.sleep(0.05)
        assert response.status_code == 200 and len(response.json()) == 2
        assert response.headers["x-ratelimit-limit"] == "100"
        assert len(response.json()[0]["field_values"]) == 497
        replays = [
            httpx2.post(
                f"{base_url}/contacts",
                params={"api_token": "cli-key"},
                json={"first_name": "a"},
                headers={"Idempotency-Key": "cli"},
            ).json()["id"]
            for _ in range(2)
        ]
        assert replays[0] == replays[1]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert db.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
