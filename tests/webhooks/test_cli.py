"""``otc webhooks send-test`` and ``otc webhooks serve``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from open_to_close.cli import app
from open_to_close.webhooks import WebhookHandler, create_webhook_app
from open_to_close.webhooks.server import BackgroundServer

from .conftest import SECRET

runner = CliRunner()
ENV = {"COLUMNS": "200"}


def test_send_test_is_verified_then_a_duplicate(tmp_path: Path) -> None:
    handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 's.db'}")
    seen: list[str] = []
    handler.register_handler("task.completed", lambda e: seen.append(e["task"]["status"]))
    with BackgroundServer(create_webhook_app(handler)) as server:
        url = f"{server.url}/webhook/otc"
        args = ["webhooks", "send-test", url, "--event", "task.completed", "--times", "2"]
        sent = runner.invoke(app, [*args, "--secret", SECRET], env=ENV)
        assert sent.exit_code == 0, sent.output
        assert "-> 200" in sent.output and "duplicate" in sent.output
        assert seen == ["completed"]
        wrong = runner.invoke(app, [*args, "--secret", "nope"], env=ENV)
        assert wrong.exit_code == 1 and "-> 400" in wrong.output
    handler.close()
    env_secret = runner.invoke(
        app, ["webhooks", "send-test", url], env={**ENV, "OTC_WEBHOOK_SECRET": SECRET}
    )
    assert env_secret.exit_code == 1 and "can't reach" in env_secret.output  # a failure
    no_secret = runner.invoke(app, ["webhooks", "send-test", url], env=ENV)
    assert no_secret.exit_code == 2 and "--secret" in no_secret.output


def test_serve_until_ctrl_c(tmp_path: Path) -> None:
    queue = f"sqlite:///{tmp_path / 'q.db'}"
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()", "webhooks"]
    command += ["serve", "--port", "0", "--secret", SECRET, "--queue", queue]
    command += ["--dedupe", f"sqlite:///{tmp_path / 'seen.db'}"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **ENV}
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        match = re.search(r"(http://127\.0\.0\.1:\d+/webhook/otc)", line)
        assert match, line
        for _ in range(100):
            sent = runner.invoke(app, ["webhooks", "send-test", match.group(1), "-s", SECRET])
            if "can't reach" not in sent.output:
                break
            time.sleep(0.05)
        assert sent.exit_code == 0 and "-> 202" in sent.output and "queued" in sent.output
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
