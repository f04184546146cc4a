"""Celery's dead letters are paged from an index, as the embedded queue's are: newest first,
``before``/``after`` cursors, letters retried or discarded in between skipped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from open_to_close.queue.base import TaskQueue
from open_to_close.queue.celery_state import QueueState, open_state


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QueueState]:
    prefix = f"otc-test-dl-{uuid.uuid4().hex[:8]}:"
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'state.db'}",
        "postgresql": "postgresql://127.0.0.1:5432/test",
        "redis": "redis://127.0.0.1:6379/0",
    }[request.param]
    store = open_state(url, prefix)
    yield store
    if request.param == "redis":
        keys = list(store.r.scan_iter(match=f"{prefix}*"))  # type: ignore[attr-defined]
        if keys:
            store.r.delete(*keys)  # type: ignore[attr-defined]
    elif request.param == "postgresql":
        with store.engine.begin() as conn:  # type: ignore[attr-defined]
            for table in reversed(store.dead.metadata.sorted_tables):  # type: ignore[attr-defined]
                table.drop(conn, checkfirst=True)
            store.keys.table.drop(conn, checkfirst=True)  # type: ignore[attr-defined]
    store.close()


def _ids(letters: list[dict[str, Any]]) -> list[int]:
    return [int(letter["id"]) for letter in letters]


def test_pages_match_a_full_read_with_gaps(state: QueueState) -> None:
    for n in range(40):
        state.enqueued(f"t{n}", "job")
        state.bury(f"t{n}", "job", {"n": n}, f"boom {n}", 4)
    numbers = _ids(state.dead_letters(None))
    for gone in numbers[5:25]:  # a bulk discard leaves a wide gap
        state.take_dead_letter(str(gone))
    state.take_dead_letter(str(numbers[-1]))
    kept = sorted(set(numbers) - set(numbers[5:25]) - {numbers[-1]}, reverse=True)

    first = state.dead_letter_page(7, None, None)
    assert _ids(first) == kept[:7]
    second = state.dead_letter_page(7, _ids(first)[-1], None)
    assert _ids(second) == kept[7:14]  # across the gap
    assert _ids(state.dead_letter_page(7, _ids(second)[-1], None)) == kept[14:]
    assert _ids(state.dead_letter_page(7, None, _ids(second)[0])) == kept[:7]  # back a page
    assert state.dead_letter_page(3, None, None)[0]["error"] == f"boom {38}"


def test_the_default_paging_agrees(state: QueueState) -> None:
    """The reference: TaskQueue's default reads every letter and pages in memory."""
    for n in range(12):
        state.enqueued(f"t{n}", "job")
        state.bury(f"t{n}", "job", None, "x", 1)

    reference = SimpleNamespace(dead_letters=lambda: state.dead_letters(None))
    top = _ids(state.dead_letters(None))[-1]
    for before, after in [(None, None), (str(top - 3), None), (None, str(top - 9))]:
        expected = _ids(TaskQueue.dead_letter_page(reference, 5, before, after))  # type: ignore[arg-type]
        got = state.dead_letter_page(
            5, None if before is None else int(before), None if after is None else int(after)
        )
        assert _ids(got) == expected


def test_a_cursor_that_is_no_letter_number_is_not_found(tmp_path: Path) -> None:
    from open_to_close.queue import connect
    from open_to_close.queue.base import DeadLetterNotFoundError

    name = f"otc-test-dl-{uuid.uuid4().hex[:8]}"
    queue = connect(f"redis://127.0.0.1:6379/0?queue={name}")
    try:
        with pytest.raises(DeadLetterNotFoundError):
            queue.dead_letter_page(5, before="abc")
        assert queue.dead_letter_page(5) == []
    finally:
        queue.close()
