"""The examples in docs/sync.md run, in order, against the sandbox."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_docs_examples_run(
    sb: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL", sb.base_url)
    (tmp_path / "mapping.toml").write_text(_blocks("toml")[0])
    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute(
            "CREATE TABLE listings (id INTEGER PRIMARY KEY, street_address TEXT, updated_at TEXT)"
        )
    namespace: dict[str, object] = {}
    blocks = _blocks("python")
    assert len(blocks) >= 5
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    result = namespace["result"]
    assert isinstance(result, dict) and result["pulled"] >= 2
    assert (tmp_path / "properties.csv").exists()
