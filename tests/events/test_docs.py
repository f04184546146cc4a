"""The Python block of docs/events.md runs on its own, and sees the status change."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from .._docblocks import Block, run_block, runnable

PAGES = ["docs/events.md"]
CHECKS = {"ChangeFeed(": 'assert [change[1:] for change in changes] == [("active", "sold")]'}


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_events_page_block_runs_alone(block: Block, sb: SandboxServer, tmp_path: Path) -> None:
    run_block(block, sb, tmp_path, checks=CHECKS)
