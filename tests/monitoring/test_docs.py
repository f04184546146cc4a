"""The examples of docs/monitoring.md run as written, and the apps they build answer."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer

from ..cache._docs import run_page


async def test_monitoring_page_examples_run(
    sb: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sdk_logger = logging.getLogger("open_to_close")
    saved = (sdk_logger.handlers[:], sdk_logger.level)
    try:
        namespace = run_page("docs/monitoring.md", sb, monkeypatch, tmp_path)
    finally:
        sdk_logger.handlers[:], sdk_logger.level = saved
    transport = httpx2.ASGITransport(app=namespace["app"])
    async with httpx2.AsyncClient(transport=transport, base_url="http://ops") as http:
        health = (await http.get("/health")).json()
    assert health["status"] == "healthy" and set(health["checks"]) == {"api", "disk"}
