"""Regression tests of issue 11's defects in ``otc serve`` (each failed before its fix)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer


@pytest.mark.defect(17)
def test_a_busy_port_is_one_line_and_exit_2(sb: SandboxServer, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "otc.toml"
        config.write_text(
            f'[api]\nbase_url = "{sb.base_url}"\n'
            f'[queue]\nurl = "sqlite:///{tmp_path}/q.db"\n'
            f'[state]\nurl = "sqlite:///{tmp_path}/s.db"\n'
            f'[events]\nsource = "poll"\n'
            f"[server]\nport = {port}\n"
        )
        env = {"OPEN_TO_CLOSE_API_KEY": sb.api_key, "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "-m", "open_to_close.cli", "serve", "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith(f"otc: can't listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr
