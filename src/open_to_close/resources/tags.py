"""Tags: ``/tags``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from .._model.resources import BY_ATTRIBUTE
from ._base import AsyncResource, Id, Params, Record, SyncResource


class Tags(SyncResource):
    spec = BY_ATTRIBUTE["tags"]

    def list_tags(self, params: Params = None) -> list[Record]:
        return self._list(params)

    def iter_tags(self, params: Params = None, page_size: int = 100) -> Iterator[Record]:
        return self._iter(params, page_size)

    def create_tag(self, data: Mapping[str, Any]) -> Record:
        return self._create(data)

    def retrieve_tag(self, id: Id) -> Record:
        return self._retrieve(id)

    def update_tag(self, id: Id, data: Mapping[str, Any]) -> Record:
        return self._update(id, data)

    def delete_tag(self, id: Id) -> Record:
        return self._delete(id)


class AsyncTags(AsyncResource):
    spec = BY_ATTRIBUTE["tags"]

    async def list_tags(self, params: Params = None) -> list[Record]:
        return await self._list(params)

    def iter_tags(self, params: Params = None, page_size: int = 100) -> AsyncIterator[Record]:
        return self._iter(params, page_size)

    async def create_tag(self, data: Mapping[str, Any]) -> Record:
        return await self._create(data)

    async def retrieve_tag(self, id: Id) -> Record:
        return await self._retrieve(id)

    async def update_tag(self, id: Id, data: Mapping[str, Any]) -> Record:
        return await self._update(id, data)

    async def delete_tag(self, id: Id) -> Record:
        return await self._delete(id)
