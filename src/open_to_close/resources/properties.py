"""Properties: ``/properties``, in the guide's flat view on top of the live field model.

Writes take a flat dict (``{"address": ..., "status": "active"}``), field keys
(``{"property_city": ...}``) or the API's own form (``{"team_member_id",
"time_zone_id", "fields": [...]}``, passed through); flat names and keys become the
account's field ids, choices their option ids, checked before anything is sent. Reads
are the API's record plus a flat key per alias (``record["address"]``,
``record["status"]``). Filters on flat names or field keys (``{"status": "active"}``)
are applied by the client: the live API has no known field filter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from .._model.codec import PropertyCodec
from .._model.resources import BY_ATTRIBUTE
from .._transport import AsyncTransport, SyncTransport
from ..property_fields import PATH, AsyncPropertyFields, PropertyFields
from ._base import AsyncResource, Id, Params, Record, SyncResource, as_list, check_data

PropertyData = Mapping[str, Any] | str


def _fields_body(codec: PropertyCodec, data: PropertyData, *, creating: bool) -> dict[str, Any]:
    """The API's body without the team member: raw forms pass through, flat ones are
    encoded (a bare string is a title, as published clients take it)."""
    if isinstance(data, str):
        data = {"title": data}
    data = check_data(data)
    if isinstance(data.get("fields"), list):
        return dict(data)
    return {"fields": codec.encode(data, creating=creating)}


def _answer(codec: PropertyCodec, answer: Any, body: Mapping[str, Any]) -> Record:
    if not isinstance(answer, dict):
        return {"result": answer}
    return codec.written(answer, list(body.get("fields") or ()))


class Properties(SyncResource):
    spec = BY_ATTRIBUTE["properties"]

    def __init__(self, transport: SyncTransport, fields: PropertyFields) -> None:
        super().__init__(transport)
        self._fields = fields

    def list_properties(self, params: Params = None) -> list[Record]:
        codec = self._fields.codec
        server, local = codec.filters_of(params)
        records = map(codec.flatten, self._raw_list(server))
        return [r for r in records if not local or codec.matches(r, local)]

    def iter_properties(self, params: Params = None, page_size: int = 100) -> Iterator[Record]:
        codec = self._fields.codec
        server, local = codec.filters_of(params)
        for record in self._raw_iter(server, page_size):
            flat = codec.flatten(record)
            if not local or codec.matches(flat, local):
                yield flat

    def create_property(self, data: PropertyData) -> Record:
        codec = self._fields.codec
        body = _fields_body(codec, data, creating=True)
        body.setdefault("time_zone_id", self._transport.settings.time_zone_id)
        if "team_member_id" not in body:
            body = {"team_member_id": self._fields.team_member_id(), **body}
        return _answer(codec, self._post(body), body)

    def retrieve_property(self, id: Id) -> Record:
        return self._fields.codec.flatten(self._retrieve(id))

    def update_property(self, id: Id, data: PropertyData) -> Record:
        codec = self._fields.codec
        body = _fields_body(codec, data, creating=False)
        return _answer(codec, self._send_update(id, body), body)

    def delete_property(self, id: Id) -> Record:
        return self._delete(id)

    def get_property_fields(self) -> list[Record]:
        """``GET /propertyFields`` as the API answers it (groups of sections of fields);
        ``client.property_fields`` reads it once and answers by key."""
        return as_list(self._transport.request("GET", PATH, PATH), "GET", PATH)


class AsyncProperties(AsyncResource):
    spec = BY_ATTRIBUTE["properties"]

    def __init__(self, transport: AsyncTransport, fields: AsyncPropertyFields) -> None:
        super().__init__(transport)
        self._fields = fields

    async def list_properties(self, params: Params = None) -> list[Record]:
        codec = await self._fields.codec()
        server, local = codec.filters_of(params)
        records = map(codec.flatten, await self._raw_list(server))
        return [r for r in records if not local or codec.matches(r, local)]

    async def iter_properties(
        self, params: Params = None, page_size: int = 100
    ) -> AsyncIterator[Record]:
        codec = await self._fields.codec()
        server, local = codec.filters_of(params)
        async for record in self._raw_iter(server, page_size):
            flat = codec.flatten(record)
            if not local or codec.matches(flat, local):
                yield flat

    async def create_property(self, data: PropertyData) -> Record:
        codec = await self._fields.codec()
        body = _fields_body(codec, data, creating=True)
        body.setdefault("time_zone_id", self._transport.settings.time_zone_id)
        if "team_member_id" not in body:
            body = {"team_member_id": await self._fields.team_member_id(), **body}
        return _answer(codec, await self._post(body), body)

    async def retrieve_property(self, id: Id) -> Record:
        codec = await self._fields.codec()
        return codec.flatten(await self._retrieve(id))

    async def update_property(self, id: Id, data: PropertyData) -> Record:
        codec = await self._fields.codec()
        body = _fields_body(codec, data, creating=False)
        return _answer(codec, await self._send_update(id, body), body)

    async def delete_property(self, id: Id) -> Record:
        return await self._delete(id)

    async def get_property_fields(self) -> list[Record]:
        fields = await self._transport.request("GET", PATH, PATH)
        return as_list(fields, "GET", PATH)
