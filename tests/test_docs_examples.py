"""Every Python block of README.md and docs/*.md runs on its own, as written.

Each block runs alone, in a fresh process with fresh globals, in an empty directory,
against the sandbox through the environment ``otc sandbox`` tells users to set (the
convention is in tests/_docblocks.py). A block marked ``<!-- not run: why -->`` is left out
and counted; every other ``python`` block runs: here, or in the docs test of its area,
which also checks what the block did.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from open_to_close.sandbox import SandboxServer

from ._docblocks import ROOT, Block, pages, python_blocks, run_block, runnable

# Pages whose blocks the docs test of their area runs, with checks of what they did.
AREA_TESTS = {
    "docs/cache.md": "tests.cache.test_docs",
    "docs/events.md": "tests.events.test_docs",
    "docs/monitoring.md": "tests.monitoring.test_docs",
    "docs/sandbox.md": "tests.sandbox.test_docs",
    "docs/sync.md": "tests.sync.test_docs",
    "docs/webhooks.md": "tests.webhooks.test_docs",
    "docs/queue.md": "tests.webhooks.test_docs",
}
PAGES = [page for page in pages() if page not in AREA_TESTS]
PYTHON_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*(?:python3?|py)\b", re.M | re.I)


@pytest.mark.defect(25)
@pytest.mark.parametrize("block", runnable(*PAGES), ids=lambda block: block.id)
def test_block_runs_alone(block: Block, sb: SandboxServer, tmp_path: Path) -> None:
    run_block(block, sb, tmp_path)


@pytest.mark.defect(25)
def test_every_python_block_runs_or_says_why_not() -> None:
    """Every python block is run by one of the docs tests, or marked with its reason."""
    run, not_run = [], []
    for page in pages():
        blocks = python_blocks(page)
        # Counted apart from the parser (indented fences too), so no block slips past it.
        fences = PYTHON_FENCE.findall((ROOT / page).read_text())
        assert len(fences) == len(blocks), f"{page}: {len(fences)} fences, {len(blocks)} parsed"
        owner = importlib.import_module(AREA_TESTS.get(page, __name__))
        assert page in owner.PAGES, f"{owner.__name__} must run the blocks of {page}"
        texts = [b.code for p in owner.PAGES for b in runnable(p)]
        for phrase in (*getattr(owner, "CHECKS", {}), *getattr(owner, "REPLACE", {})):
            assert any(phrase in text for text in texts), f"{owner.__name__}: {phrase!r} is gone"
        run += [b.id for b in blocks if b.not_run is None]
        not_run += [f"{b.id} ({b.not_run})" for b in blocks if b.not_run is not None]
    print(f"docs python blocks: {len(run)} run alone, {len(not_run)} not run: {not_run}")
    assert len(not_run) <= 2, f"blocks left out: {not_run}; make them run instead"
    assert len(run) >= 30, f"only {len(run)} python blocks run"
