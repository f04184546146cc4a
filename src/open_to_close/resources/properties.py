"""Properties: ``/properties``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from ._base import AsyncResource, Id, Params, Record, SyncResource, as_list
from .._model.resources import BY_ATTRIBUTE


class Properties(SyncResource):
    spec = BY_ATTRIBUTE["properties"]

    def list_properties(self, params: Params = None) -> list[Record]:
        return self._list(params)

    def iter_properties(self, params: Params = None, page_size: int = 100) -> Iterator[Record]:
        return self._iter(params, page_size)

    def create_property(self, data: Mapping[str, Any]) -> Record:
        return self._create(data)

    def retrieve_property(self, id: Id) -> Record:
        return self._retrieve(id)

    def update_property(self, id: Id, data: Mapping[str, Any]) -> Record:
        return self._update(id, data)

    def delete_property(self, id: Id) -> Record:
        return self._delete(id)

    def get_property_fields(self) -> list[Record]:
        """``GET /propertyFields``: the definitions of the fields a property may have."""
        fields = self._transport.request("GET", "/propertyFields", "/propertyFields")
        return as_list(fields, "GET", "/propertyFields")


class AsyncProperties(AsyncResource):
    spec = BY_ATTRIBUTE["properties"]

    async def list_properties(self, params: Params = None) -> list[Record]:
        return await self._list(params)

    def iter_properties(self, params: Params = None, page_size: int = 100) -> AsyncIterator[Record]:
        return self._iter(params, page_size)

    async def create_property(self, data: Mapping[str, Any]) -> Record:
        return await self._create(data)

    async def retrieve_property(self, id: Id) -> Record:
        return await self._retrieve(id)

    async def update_property(self, id: Id, data: Mapping[str, Any]) -> Record:
        return await self._update(id, data)

    async def delete_property(self, id: Id) -> Record:
        return await self._delete(id)

    async def get_property_fields(self) -> list[Record]:
        fields = await self._transport.request("GET", "/propertyFields", "/propertyFields")
        return as_list(fields, "GET", "/propertyFields")
