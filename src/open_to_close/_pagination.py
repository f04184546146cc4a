"""``iter_*``: every record of a list endpoint, page by page, fetched lazily."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

from ._constants import DEFAULT_PAGE_SIZE

Record = dict[str, Any]

# The API clamps ``limit`` to this: asking for more would make a full page look short.
MAX_PAGE_SIZE = 500


def _start(params: Mapping[str, Any] | None, page_size: int) -> tuple[dict[str, Any], int, int]:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"page_size must be a positive whole number; got {page_size!r}")
    query = dict(params or {})
    query.pop("limit", None)
    offset = int(query.pop("offset", 0) or 0)
    return query, min(page_size, MAX_PAGE_SIZE), offset


def iter_pages(
    fetch: Callable[[dict[str, Any]], list[Record]],
    params: Mapping[str, Any] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[Record]:
    query, size, offset = _start(params, page_size)
    while True:
        page = fetch({**query, "limit": size, "offset": offset})
        yield from page
        if len(page) < size:
            return
        offset += len(page)


async def aiter_pages(
    fetch: Callable[[dict[str, Any]], Awaitable[list[Record]]],
    params: Mapping[str, Any] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> AsyncIterator[Record]:
    query, size, offset = _start(params, page_size)
    while True:
        page = await fetch({**query, "limit": size, "offset": offset})
        for record in page:
            yield record
        if len(page) < size:
            return
        offset += len(page)
