"""``otc serve`` itself: the console is mounted, named in the start-up line, and served."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from open_to_close.sandbox import SandboxServer

from .conftest import TOKEN, csrf_of

OTC = [sys.executable, "-c", "from open_to_close.cli import main; main()"]


def test_otc_serve_mounts_the_console(sb: SandboxServer, tmp_path: Path) -> None:
    (tmp_path / "otc.toml").write_text(
        f'[api]\nbase_url = "{sb.base_url}"\n[events]\nsource = "poll"\nevery = "1h"\n'
        '[server]\nport = 0\nshutdown_grace = "5s"\n'
    )
    env = {**os.environ, "OPEN_TO_CLOSE_API_KEY": sb.api_key, "OTC_CONSOLE_TOKEN": TOKEN}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        service = subprocess.Popen(
            [*OTC, "serve", "--role", "web"], cwd=tmp_path, env=env, stderr=sink
        )
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"console at (http://\S+)/console/", log.read_text())):
            assert service.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        with httpx2.Client(base_url=found.group(1)) as browser:
            form = browser.get("/console/login")
            assert form.status_code == 200
            signed = browser.post(
                "/console/login", data={"token": TOKEN, "csrf_token": csrf_of(form.text)}
            )
            assert signed.status_code == 303
            assert 'data-testid="health-api" data-status="ok"' in browser.get("/console/").text
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(30)
    assert TOKEN not in log.read_text()
