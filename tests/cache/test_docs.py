"""Each Python block of docs/cache.md runs on its own, and does what the page says."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from .._docblocks import Block, run_block, runnable

PAGES = ["docs/cache.md"]
REPLACE = {'prefix="myapp:"': f'prefix="otc-doc-{uuid.uuid4().hex[:8]}:"'}  # keys of our own
CHECKS = {
    'prefix="myapp:"': "shared.clear()",
    "Inspection booked": 'assert [n["content"] for n in notes] == ["Inspection booked"]',
    "Keys collected": 'assert [n["content"] for n in async_notes] == ["Keys collected"]',
}


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_cache_page_block_runs_alone(block: Block, sb: SandboxServer, tmp_path: Path) -> None:
    run_block(block, sb, tmp_path, replace=REPLACE, checks=CHECKS)
