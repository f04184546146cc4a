"""``iter_*``: every record of a list endpoint, page by page, fetched lazily.

Servers clamp ``limit`` (the live API gives at most 50 properties a page, 100 of anything
else), and a clamped page looks just like the last one. So the reader advances by what
it received, never by what it asked for, and a short page ends the listing only once the
server has been seen to serve a page of that size in full. Otherwise the next page is
asked for at the size just received: empty means the end (the one extra request a
listing may cost), full confirms the clamp, which the client remembers per route so its
next listing needs no extra request at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, MutableMapping
from typing import Any

from ._constants import DEFAULT_PAGE_SIZE

Record = dict[str, Any]


class Pager:
    """The paging rules without I/O: the next query, and what a page of ``n`` means."""

    __slots__ = ("_full", "_key", "_query", "_suspect", "done", "offset", "size")

    def __init__(
        self,
        params: Mapping[str, Any] | None,
        page_size: int,
        *,
        max_page: int,
        full_pages: MutableMapping[str, int],
        key: str,
    ) -> None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be a positive whole number; got {page_size!r}")
        query = dict(params or {})
        query.pop("limit", None)
        offset = query.pop("offset", 0) or 0
        try:
            self.offset = int(offset)
        except (TypeError, ValueError):
            raise ValueError(f"offset must be a whole number; got {offset!r}") from None
        self._query = query
        self.size = min(page_size, max_page)
        self._full = full_pages  # route -> the largest page size seen served in full
        self._key = key
        self._suspect = False  # the last page was short: the end, or a clamp?
        self.done = False

    def query(self) -> dict[str, Any]:
        return {**self._query, "limit": self.size, "offset": self.offset}

    def received(self, count: int) -> None:
        self.offset += count
        if count == 0:
            self.done = True
        elif count >= self.size:
            if self._full.get(self._key, 0) < self.size:
                self._full[self._key] = self.size
            self._suspect = False
        elif self._suspect or self.size <= self._full.get(self._key, 0):
            self.done = True  # short at a size the server serves in full: the end
        else:
            self.size, self._suspect = count, True


def iter_pages(
    fetch: Callable[[dict[str, Any]], list[Record]],
    params: Mapping[str, Any] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    **pager: Any,
) -> Iterator[Record]:
    paging = Pager(params, page_size, **pager)
    while not paging.done:
        page = fetch(paging.query())
        paging.received(len(page))
        yield from page


async def aiter_pages(
    fetch: Callable[[dict[str, Any]], Awaitable[list[Record]]],
    params: Mapping[str, Any] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    **pager: Any,
) -> AsyncIterator[Record]:
    paging = Pager(params, page_size, **pager)
    while not paging.done:
        page = await fetch(paging.query())
        paging.received(len(page))
        for record in page:
            yield record
