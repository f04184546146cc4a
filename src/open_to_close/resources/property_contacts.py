"""Property contacts: ``/properties/{property_id}/contacts``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from .._model.resources import BY_ATTRIBUTE
from ._base import AsyncResource, Id, Params, Record, SyncResource


class PropertyContacts(SyncResource):
    spec = BY_ATTRIBUTE["property_contacts"]

    def list_property_contacts(self, property_id: Id, params: Params = None) -> list[Record]:
        return self._list(params, property_id)

    def iter_property_contacts(
        self, property_id: Id, params: Params = None, page_size: int = 100
    ) -> Iterator[Record]:
        return self._iter(params, page_size, property_id)

    def create_property_contact(self, property_id: Id, data: Mapping[str, Any]) -> Record:
        return self._create(data, property_id)

    def retrieve_property_contact(self, property_id: Id, contact_id: Id) -> Record:
        return self._retrieve(contact_id, property_id)

    def update_property_contact(
        self, property_id: Id, contact_id: Id, data: Mapping[str, Any]
    ) -> Record:
        return self._update(contact_id, data, property_id)

    def delete_property_contact(self, property_id: Id, contact_id: Id) -> Record:
        return self._delete(contact_id, property_id)


class AsyncPropertyContacts(AsyncResource):
    spec = BY_ATTRIBUTE["property_contacts"]

    async def list_property_contacts(self, property_id: Id, params: Params = None) -> list[Record]:
        return await self._list(params, property_id)

    def iter_property_contacts(
        self, property_id: Id, params: Params = None, page_size: int = 100
    ) -> AsyncIterator[Record]:
        return self._iter(params, page_size, property_id)

    async def create_property_contact(self, property_id: Id, data: Mapping[str, Any]) -> Record:
        return await self._create(data, property_id)

    async def retrieve_property_contact(self, property_id: Id, contact_id: Id) -> Record:
        return await self._retrieve(contact_id, property_id)

    async def update_property_contact(
        self, property_id: Id, contact_id: Id, data: Mapping[str, Any]
    ) -> Record:
        return await self._update(contact_id, data, property_id)

    async def delete_property_contact(self, property_id: Id, contact_id: Id) -> Record:
        return await self._delete(contact_id, property_id)
