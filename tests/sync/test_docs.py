"""Each Python block of docs/sync.md runs on its own, and does what the page says."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from .._docblocks import Block, run_block, runnable

PAGES = ["docs/sync.md"]
CHECKS = {
    "ExternalDataSource()": 'assert results["created"] == 1 and results["errors"] == 0',
    "TwoWayPropertySync(": (
        'assert result["errors"] == 0 and result["external_to_otc"]["created"] == 1, result'
    ),
    "PropertyPull(": (
        'assert result["pulled"] == 1\nassert "1 Pull St" in open("properties.csv").read()'
    ),
    "load_mapping(": 'assert mapping.id_field == "listing_id"',
}


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_sync_page_block_runs_alone(block: Block, sb: SandboxServer, tmp_path: Path) -> None:
    run_block(block, sb, tmp_path, checks=CHECKS)
