"""Each Python block of docs/sandbox.md runs on its own; the pytest example passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from .._docblocks import Block, run_block, runnable

PAGES = ["docs/sandbox.md"]
CHECKS = {
    "print(sb.stats())": (
        "stats = sb.stats()\n"
        "assert stats['total'] == 5 and stats['requests']['POST /properties'] == 1, stats"
    ),
}


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_sandbox_page_block_runs_alone(block: Block, sb: SandboxServer, tmp_path: Path) -> None:
    output = run_block(block, sb, tmp_path, checks=CHECKS)
    if block.is_test_module:  # run by pytest, as a user's test file
        assert "1 passed" in output, output
