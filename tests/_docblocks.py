"""Find the Python blocks of README.md and docs/*.md, and run each one alone.

The convention the docs follow (tests/test_docs_examples.py enforces it):

- Every fenced block whose language is ``python`` (or ``py``, ``python3``) runs on its
  own, as a user who copies just that block into a file and runs it would: its own
  imports and its own setup, in an empty working directory, against a sandbox reached
  through ``OPEN_TO_CLOSE_API_KEY`` and ``OPEN_TO_CLOSE_BASE_URL`` (the two lines
  ``otc sandbox`` prints; ``..._STAGING`` too, for configuration.md's environments). The
  sandbox holds no properties: a block creates the records it uses.
- A block that defines ``test_*`` functions is a test module: it runs under pytest.
- A block may read a file the same page shows: that file's block (``toml``, ``json``,
  ``csv``) starts with a comment naming it, ``# mapping.toml``, and is written to the
  working directory before each block of that page runs.
- A block that cannot run here says so on the line before it, with the reason:
  ``<!-- not run: needs AWS credentials -->``. Output, shell sessions and config files
  are fenced as what they are (``console``, ``pycon``, ``toml``, ``json``), never as
  ``python``.

Each block runs in a fresh process forked from a server that has already imported the
package and its dependencies (``multiprocessing``'s forkserver): every block starts from
a new interpreter's state, with fresh globals, without paying the imports each time.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from open_to_close.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
PYTHON = {"python", "py", "python3"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([^\s`]*)[^\n]*$")
NOT_RUN = re.compile(r"^<!-- not run: (\S[^>]*?) -->$")
FILE_NAME = re.compile(r"^# ([\w-]+\.(?:toml|json|csv|jsonl))\n")
PRELOAD = [
    "tests._docblocks",
    "pytest",
    "open_to_close",
    "open_to_close.cache",
    "open_to_close.events",
    "open_to_close.monitoring",
    "open_to_close.queue",
    "open_to_close.sandbox",
    "open_to_close.sync",
    "open_to_close.webhooks",
    "flask",
    "starlette.applications",
]
TIMEOUT = 60.0
EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository root
    line: int  # of the opening fence, counted from 1
    code: str
    not_run: str | None  # the reason given by a <!-- not run: ... --> line, if any

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def is_test_module(self) -> bool:
        return re.search(r"^def test_\w*\(", self.code, re.M) is not None


def pages() -> list[str]:
    """README.md and every page under docs/."""
    return ["README.md", *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("docs/*.md"))]


def python_blocks(page: str) -> list[Block]:
    """Every Python block of ``page``, in order, whether it runs or not."""
    return [block for language, block in _fenced(page) if language.lower() in PYTHON]


def shown_files(page: str) -> dict[str, str]:
    """The files ``page`` shows, by name: blocks whose first line is ``# name.toml``."""
    named = (FILE_NAME.match(block.code) for _, block in _fenced(page))
    return {match.group(1): match.string for match in named if match is not None}


def _fenced(page: str) -> list[tuple[str, Block]]:
    """Every fenced block of ``page`` with its language, in order."""
    lines = (ROOT / page).read_text().splitlines()
    found: list[tuple[str, Block]] = []
    n = 0
    while n < len(lines):
        opening = FENCE.match(lines[n])
        if opening is None:
            n += 1
            continue
        fence, language = opening.groups()
        end = n + 1
        while end < len(lines) and not lines[end].startswith(fence[0] * len(fence)):
            end += 1
        reason = NOT_RUN.match(lines[n - 1].strip() if n else "")
        code = "\n".join(lines[n + 1 : end]) + "\n"
        found.append((language, Block(page, n + 1, code, reason.group(1) if reason else None)))
        n = end + 1
    return found


def runnable(*only: str) -> list[Block]:
    """The blocks to run, of ``only`` these pages or of every page."""
    return [b for page in only or pages() for b in python_blocks(page) if b.not_run is None]


def run_block(
    block: Block,
    sb: SandboxServer,
    workdir: Path,
    *,
    replace: Mapping[str, str] = EMPTY,
    checks: Mapping[str, str] = EMPTY,
) -> str:
    """Run ``block`` alone in a fresh process, in ``workdir``, and return its output.

    ``replace`` rewrites what the block says (a Redis prefix or queue names of the test's
    own, so that runs share no global names); each of ``checks`` whose key is in the block
    runs after it, in the same process, to check what it left. Fails the test with the
    block's output if the block fails or outlives ``TIMEOUT``.
    """
    code = block.code
    for old, new in replace.items():
        code = code.replace(old, new)
    after = [check for phrase, check in checks.items() if phrase in block.code]
    code += "".join(f"\n# the test's check\n{check}\n" for check in after)
    for name, text in shown_files(block.page).items():
        (workdir / name).write_text(text)
    script = workdir / ("test_example.py" if block.is_test_module else "example.py")
    script.write_text(code)
    output = workdir / "example.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTC_", "OPEN_TO_CLOSE_"))}
    env.update(block_env(sb.base_url, sb.api_key))  # what the user set: nothing else of ours
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    process = context.Process(
        target=_child, args=(str(script), block.is_test_module, env, str(output))
    )
    process.start()
    process.join(TIMEOUT)
    if process.exitcode is None:
        process.kill()
        process.join()
    text = output.read_text() if output.exists() else ""
    assert process.exitcode == 0, (
        f"{block.id} failed when run alone (exit {process.exitcode}):\n{text}"
    )
    return text


def _child(script: str, under_pytest: bool, env: dict[str, str], output: str) -> None:
    """In the fresh process: the block's file run as ``python example.py`` (or pytest) would."""
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(os.path.dirname(script))
    sys.path[0:0] = [os.path.dirname(script)]
    sys.argv = [script]
    status = 0
    try:
        if under_pytest:
            import pytest

            status = int(pytest.main([script, "-q", "-p", "no:cacheprovider"]))
        else:
            code = compile(Path(script).read_text(), script, "exec")
            exec(code, {"__name__": "__main__", "__file__": script})
    except SystemExit as stop:
        status = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter does at exit:
    atexit._run_exitfuncs()  # wait for the block's threads, then its atexit functions
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def block_env(base_url: str, api_key: str) -> dict[str, str]:
    """What a user sets before running a block: the sandbox's two exports (and staging's)."""
    env: dict[str, str] = {}
    for suffix in ("", "_STAGING"):
        env[f"OPEN_TO_CLOSE_API_KEY{suffix}"] = api_key
        env[f"OPEN_TO_CLOSE_BASE_URL{suffix}"] = base_url
    return env
