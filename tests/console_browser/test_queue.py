"""The Queue page: dead letters with their error and attempts; retry one and watch it
finish, discard one, retry several at once. The service's web role serves the console;
an ``otc worker`` beside it runs the integration's own task (see ``_flaky``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from open_to_close.queue import connect
from open_to_close.sandbox import SandboxServer
from tests.service._helpers import wait_until

from ._browser import Browser
from ._flaky import DOWN, FLAKY
from ._service import TOKEN, Console, start_console, start_worker


@pytest.fixture(scope="module")
def console(console_home: Path, sandbox: SandboxServer) -> Iterator[Console]:
    running = start_console(console_home / "service", sandbox, roles=("web", "scheduler"))
    try:
        start_worker(running, "tests.console_browser._flaky:tasks")
        yield running
    finally:
        running.stop()


def count(page: Browser, state: str) -> int:
    text = page.text(f'[data-testid="count-{state}"]')
    numbers = re.findall(r"\d[\d,]*", text)
    assert numbers, f"count-{state} shows no number: {text!r}"
    return int(numbers[-1].replace(",", ""))


def dead_rows(page: Browser) -> list[str]:
    return [row.get_attribute("data-id") for row in page.all('tr[data-testid="dead-letter"]')]


def reload_until(page: Browser, what: str, check: object, timeout: float = 20.0) -> None:
    def again() -> bool:
        page.open("/console/queue")
        return bool(check(page))  # type: ignore[operator]

    page.wait(again, what, timeout)


def test_dead_letters_retried_and_discarded(
    browser: Browser, console: Console, tmp_path: Path
) -> None:
    flag = tmp_path / "crm-is-up"
    queue = connect(console.queue_url)
    try:
        for _ in range(4):
            queue.enqueue(FLAKY, {"flag": str(flag)})
        wait_until(lambda: queue.stats()["dead"] == 4, 30, "four dead letters")
    finally:
        queue.close()

    page = browser.signed_in(TOKEN).open("/console/queue")
    assert count(page, "dead") == 4 and count(page, "done") == 0
    rows = dead_rows(page)
    assert len(rows) == 4
    for row in page.all('tr[data-testid="dead-letter"]'):
        assert DOWN in row.find_element("css selector", ".error").text
        assert row.find_element("css selector", ".attempts").text.strip() == "2"

    flag.touch()  # the CRM is back
    first, second, *rest = rows
    page.click(f'tr[data-testid="dead-letter"][data-id="{first}"] [data-testid="retry"]')
    assert page.flash()[0] == "ok"
    reload_until(
        page,
        "the retried task to finish",
        lambda p: count(p, "done") == 1 and count(p, "dead") == 3 and first not in dead_rows(p),
    )

    page.click(f'tr[data-testid="dead-letter"][data-id="{second}"] [data-testid="discard"]')
    assert page.flash()[0] == "ok"
    assert second not in dead_rows(page)
    assert count(page, "dead") == 2

    for dead_id in rest:
        page.find(f'input[type="checkbox"][name="ids"][value="{dead_id}"]').click()
    page.click('[data-testid="bulk-retry"]')
    assert page.flash()[0] == "ok"
    reload_until(
        page,
        "the bulk retry to finish",
        lambda p: count(p, "done") == 3 and count(p, "dead") == 0 and not dead_rows(p),
    )
    queue = connect(console.queue_url)
    try:
        assert queue.stats()["done"] == 3 and queue.stats()["dead"] == 0
    finally:
        queue.close()


def test_a_retry_of_a_dead_letter_already_gone_is_a_message(
    browser: Browser, console: Console, tmp_path: Path
) -> None:
    queue = connect(console.queue_url)
    try:
        queue.enqueue(FLAKY, {"flag": str(tmp_path / "never")})
        wait_until(lambda: queue.stats()["dead"] == 1, 30, "a dead letter")
        page = browser.signed_in(TOKEN).open("/console/queue")
        (dead_id,) = dead_rows(page)
        queue.discard_dead_letter(dead_id)  # someone else got there first (the CLI)
    finally:
        queue.close()
    page.click(f'tr[data-testid="dead-letter"][data-id="{dead_id}"] [data-testid="retry"]')
    kind, text = page.flash()
    assert kind == "error" and dead_id in text
    page.wait_for('nav[data-testid="nav"]')


def test_the_queue_page_fits_a_phone(browser: Browser, console: Console, tmp_path: Path) -> None:
    queue = connect(console.queue_url)
    try:
        queue.enqueue(FLAKY, {"flag": str(tmp_path / "never"), "note": "x" * 300})
        wait_until(lambda: queue.stats()["dead"] == 1, 30, "a dead letter to show")
    finally:
        queue.close()
    browser.signed_in(TOKEN).check_layout("/console/queue", 'tr[data-testid="dead-letter"]')
