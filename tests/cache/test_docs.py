"""The examples of docs/cache.md run as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from ._docs import run_page


def test_cache_page_examples_run(
    sb: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    namespace = run_page("docs/cache.md", sb, monkeypatch, tmp_path)
    assert [n["content"] for n in namespace["notes"]] == ["Inspection booked"]
    assert [n["content"] for n in namespace["async_notes"]] == ["Keys collected"]
    namespace["shared"].clear()
