"""The Python examples in the README and the client docs run as written.

Each block runs against a sandbox, with the environment variables the docs tell users to
set. A block whose preceding line is ``<!-- not run: why -->`` is left out (it needs
something this machine cannot give, such as AWS); every other block runs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/client.md", "docs/configuration.md"]
SAMPLE_LISTINGS = ROOT / "src" / "open_to_close" / "data" / "sample_listings.csv"
BLOCK = re.compile(r"(<!-- not run: [^>]*-->\n)?```python\n(.*?)```", re.S)


def _blocks() -> list[Any]:
    params = []
    for page in PAGES:
        for n, match in enumerate(BLOCK.finditer((ROOT / page).read_text())):
            if match.group(1) is None:
                params.append(pytest.param(page, match.group(2), id=f"{page}#{n}"))
    return params


@pytest.mark.parametrize(("page", "code"), _blocks())
def test_example_runs(
    page: str, code: str, sb: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("OPEN_TO_CLOSE_API_KEY", "OPEN_TO_CLOSE_API_KEY_STAGING"):
        monkeypatch.setenv(name, sb.api_key)
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL", sb.base_url)
    monkeypatch.setenv("OPEN_TO_CLOSE_BASE_URL_STAGING", sb.base_url)
    monkeypatch.chdir(tmp_path)
    # The files the examples read: the bundled sample listings.
    shutil.copy(SAMPLE_LISTINGS, tmp_path / "listings.csv")
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        for n in range(3):  # records the examples refer to by id
            client.properties.create_property({"address": f"{n + 1} Example St"})
        namespace: dict[str, Any] = {"client": client, "__name__": "docs_example"}
        exec(compile(code, f"{page} example", "exec"), namespace)
