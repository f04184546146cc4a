"""The pytest fixture shown in docs/sandbox.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def test_fixture_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    example = next(block for block in blocks if "@pytest.fixture" in block)
    namespace: dict[str, Any] = {}
    exec(compile(example, str(DOC), "exec"), namespace)
    # Drive the fixtures by hand, the way pytest would.
    sandbox_gen = namespace["sandbox"].__wrapped__()
    sandbox = next(sandbox_gen)
    try:
        client_gen = namespace["otc"].__wrapped__(sandbox)
        client = next(client_gen)
        namespace["test_create_and_find_a_property"](client, sandbox)
        client_gen.close()
    finally:
        sandbox_gen.close()
