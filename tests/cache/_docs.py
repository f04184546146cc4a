"""Run a doc page's Python examples, in order, in one namespace, against the sandbox.

A block preceded by ``<!-- not run: why -->`` is skipped (the convention of
tests/test_docs_examples.py).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"(<!-- not run: [^>]*-->\n)?```python\n(.*?)```", re.S)


def run_page(
    page: str, sb: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Any]:
    monkeypatch.setenv("OPEN_TO_CLOSE_API_KEY", sb.api_key)
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL", sb.base_url)
    monkeypatch.chdir(tmp_path)
    prefix = f"otc-doc-{uuid.uuid4().hex[:8]}:"  # the page's Redis keys, kept apart
    client = OpenToCloseAPI(sb.api_key, sb.base_url)
    for n in range(3):  # records the examples refer to by id
        client.properties.create_property({"address": f"{n + 1} Example St", "status": "active"})
    namespace: dict[str, Any] = {"client": client, "__name__": "docs_example"}
    text = (ROOT / page).read_text()
    for n, match in enumerate(BLOCK.finditer(text)):
        if match.group(1) is None:
            code = match.group(2).replace('prefix="myapp:"', f'prefix="{prefix}"')
            exec(compile(code, f"{page} example {n}", "exec"), namespace)
    client.close()
    return namespace
