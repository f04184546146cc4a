"""The paging rules on their own: what a page of n records means, with and without clamps."""

from __future__ import annotations

import pytest

from open_to_close._pagination import iter_pages


@pytest.mark.parametrize("total", [0, 1, 49, 50, 51, 100, 137, 150])
@pytest.mark.parametrize("clamp", [20, 50, 100])
@pytest.mark.parametrize("page_size", [10, 50, 100, 500])
def test_every_record_once_and_at_most_one_extra_request(
    total: int, clamp: int, page_size: int
) -> None:
    records = [{"id": n} for n in range(total)]
    calls: list[dict[str, int]] = []

    def fetch(query: dict[str, int]) -> list[dict[str, int]]:
        calls.append(query)
        limit = min(query["limit"], clamp)
        return records[query["offset"] : query["offset"] + limit]

    pages: dict[str, int] = {}
    seen = list(iter_pages(fetch, None, page_size, max_page=100, full_pages=pages, key="/x"))
    assert seen == records
    served = min(page_size, clamp, 100)
    assert len(calls) <= total // served + 2
    calls.clear()
    list(iter_pages(fetch, None, page_size, max_page=100, full_pages=pages, key="/x"))
    assert len(calls) <= total // served + 2


def test_a_clamp_once_seen_is_remembered() -> None:
    records = [{"id": n} for n in range(120)]
    calls: list[int] = []

    def fetch(query: dict[str, int]) -> list[dict[str, int]]:
        calls.append(query["limit"])
        return records[query["offset"] : query["offset"] + min(query["limit"], 50)]

    pages: dict[str, int] = {}
    assert len(list(iter_pages(fetch, None, 100, max_page=100, full_pages=pages, key="/p"))) == 120
    assert pages == {"/p": 50}
    calls.clear()
    assert len(list(iter_pages(fetch, None, 100, max_page=50, full_pages=pages, key="/p"))) == 120
    assert calls == [50, 50, 50]
