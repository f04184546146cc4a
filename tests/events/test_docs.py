"""The Python example of docs/events.md runs as written, against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_events_doc_runs(
    sb: SandboxServer, client: OpenToCloseAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL", sb.base_url)
    client.properties.create_property({"address": "1 Doc St", "status": "active"})
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(block, "docs/events.md", "exec"), namespace)
    assert len(namespace["changes"]) == 1
    assert namespace["changes"][0][1:] == ("active", "sold")
