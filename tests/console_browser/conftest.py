"""Browser fixtures: per module, one ``otc serve`` with its console and one headless
Chromium signed in to it; a failed test leaves a screenshot and the page source under
``test-artifacts/console/``."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from open_to_close.sandbox import SandboxServer
from tests.service._helpers import SECRET

from ._browser import Browser, start_chromium
from ._service import API_KEY, TOKEN, Console, start_console, start_sandbox

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox of the module's own: other tests' resets never reach a running service."""
    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def console_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console")


@pytest.fixture(scope="module")
def console(console_home: Path, sandbox: SandboxServer) -> Iterator[Console]:
    """``otc serve`` with the console on (modules override this to add sync jobs etc.)."""
    running = start_console(console_home / "service", sandbox)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Future[Any]]:
    """Chromium starting on a thread while the service starts (``browser`` waits for it)."""
    profile = tmp_path_factory.mktemp("chromium") / "profile"
    with ThreadPoolExecutor(1, thread_name_prefix="chromium") as pool:
        starting = pool.submit(start_chromium, profile)
        yield starting
        if starting.exception() is None:
            starting.result().quit()


@pytest.fixture(scope="module")
def browser(chromium: Future[Any], console: Console) -> Browser:
    return Browser(chromium.result(timeout=60), console.url, secrets=(API_KEY, SECRET, TOKEN))


@pytest.fixture(autouse=True)
def _artifacts_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "browser" not in request.fixturenames:
        return
    page: Browser = request.getfixturevalue("browser")
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        page.save_artifacts(ARTIFACTS / name)
    except Exception as exc:  # a dead browser: the test's own failure says more
        print(f"could not save the console artifacts of {name}: {exc}")
