"""``otc events poll --once``: the change feed by hand."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from open_to_close import OpenToCloseAPI
from open_to_close.cli import app
from open_to_close.sandbox import SandboxServer

runner = CliRunner()


def test_poll_once_prints_what_changed(
    sb: SandboxServer, client: OpenToCloseAPI, tmp_path: Path
) -> None:
    env = {
        "OPEN_TO_CLOSE_API_KEY": sb.api_key,
        "OPEN_TO_CLOSE_BASE_URL": sb.base_url,
        "COLUMNS": "160",
    }
    state = f"sqlite:///{tmp_path / 'feed.db'}"
    pid = client.properties.create_property({"address": "1 Cli St", "status": "active"})["id"]
    first = runner.invoke(app, ["events", "poll", "--once", "--state", state], env=env)
    assert first.exit_code == 0, first.output
    assert "property.created" in first.output and "1 Cli St" in first.output
    assert "1 event(s), 3 request(s)" in first.output  # the fields, a page, the probe
    client.properties.update_property(pid, {"status": "sold"})
    second = runner.invoke(app, ["events", "poll", "--once", "--json", "--state", state], env=env)
    assert second.exit_code == 0, second.output
    events = [json.loads(line) for line in second.output.splitlines()]
    assert [e["event_type"] for e in events] == ["property.updated", "property.status_changed"]
    assert events[1]["previous_status"] == "active"


def test_no_key_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["events", "poll", "--once"], env={"OPEN_TO_CLOSE_API_KEY": ""})
    assert result.exit_code == 2 and "OPEN_TO_CLOSE_API_KEY" in result.output
