"""Each Python block of docs/monitoring.md runs on its own; the apps they build answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from .._docblocks import Block, run_block, runnable

PAGES = ["docs/monitoring.md"]


def _health(path: str, checks: set[str]) -> str:
    """Code that asks the block's ``app`` for ``path`` and checks the answer."""
    return f"""
import asyncio, httpx2
async def _get():
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://ops") as http:
        return (await http.get({path!r})).json()
health = asyncio.run(_get())
assert health["status"] == "healthy" and set(health["checks"]) == {checks!r}, health
"""


CHECKS = {
    "instrument(client, registry)": (
        'labels = {"method": "GET", "endpoint": "/teams", "status": "success"}\n'
        'assert registry.get_sample_value("otc_api_requests_total", labels) == 1'
    ),
    'app.mount("/ops"': _health("/ops/health", {"api"}),
    'HealthCheck("disk"': _health("/health", {"api", "disk"}),
}


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_monitoring_page_block_runs_alone(block: Block, sb: SandboxServer, tmp_path: Path) -> None:
    run_block(block, sb, tmp_path, checks=CHECKS)
