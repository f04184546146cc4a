"""The CRUD every resource shares; a resource class only names its methods.

A resource is bound to one transport (so one connection pool serves every resource) and
to its row of :mod:`._table`, which gives its paths. Nested resources (notes, tasks, ...)
take the property id first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from .._pagination import aiter_pages, iter_pages
from .._transport import AsyncTransport, SyncTransport
from ..exceptions import OpenToCloseAPIError
from .._model.resources import BY_ATTRIBUTE, ResourceSpec

Record = dict[str, Any]
Params = Mapping[str, Any] | None
Id = int | str

_LIST_WRAPPERS = ("data", "results", "items")


def path_id(value: Id | None, what: str = "id") -> str:
    """An id as a path segment; refuses what would change the path (None, '', '../x')."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise TypeError(f"{what} must be an int or a non-empty str; got {value!r}")
    return quote(str(value), safe="")


def as_list(payload: Any, method: str, path: str) -> list[Record]:
    """A list answer; tolerates ``{"data": [...]}`` envelopes, refuses anything else."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in _LIST_WRAPPERS:
            if isinstance(payload.get(key), list):
                return list(payload[key])
    raise OpenToCloseAPIError(
        f"Expected a JSON array, got {type(payload).__name__}", method=method, endpoint=path
    )


def _check_data(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a dict of fields; got {type(data).__name__}")
    return data


class _Paths:
    spec: ClassVar[ResourceSpec]

    def _collection(self, parent: Id | None) -> str:
        spec = self.spec
        if spec.parent is None:
            return spec.path
        return f"{BY_ATTRIBUTE[spec.parent].path}/{path_id(parent, 'property_id')}{spec.path}"

    def _item(self, parent: Id | None, record_id: Id) -> str:
        return f"{self._collection(parent)}/{path_id(record_id)}"


class SyncResource(_Paths):
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _list(self, params: Params = None, parent: Id | None = None) -> list[Record]:
        path = self._collection(parent)
        payload = self._transport.request("GET", self.spec.collection_template, path, params)
        return as_list(payload, "GET", path)

    def _iter(self, params: Params, page_size: int, parent: Id | None = None) -> Iterator[Record]:
        return iter_pages(lambda query: self._list(query, parent), params, page_size)

    def _create(self, data: Mapping[str, Any], parent: Id | None = None) -> Record:
        path = self._collection(parent)
        template = self.spec.collection_template
        result: Record = self._transport.request("POST", template, path, json=_check_data(data))
        return result

    def _retrieve(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = self._transport.request("GET", self.spec.item_template, path)
        return result

    def _update(self, record_id: Id, data: Mapping[str, Any], parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        template = self.spec.item_template
        result: Record = self._transport.request("PUT", template, path, json=_check_data(data))
        return result

    def _delete(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = self._transport.request("DELETE", self.spec.item_template, path)
        return result


class AsyncResource(_Paths):
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _list(self, params: Params = None, parent: Id | None = None) -> list[Record]:
        path = self._collection(parent)
        template = self.spec.collection_template
        payload = await self._transport.request("GET", template, path, params)
        return as_list(payload, "GET", path)

    def _iter(
        self, params: Params, page_size: int, parent: Id | None = None
    ) -> AsyncIterator[Record]:
        return aiter_pages(lambda query: self._list(query, parent), params, page_size)

    async def _create(self, data: Mapping[str, Any], parent: Id | None = None) -> Record:
        path = self._collection(parent)
        template = self.spec.collection_template
        result: Record = await self._transport.request(
            "POST", template, path, json=_check_data(data)
        )
        return result

    async def _retrieve(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = await self._transport.request("GET", self.spec.item_template, path)
        return result

    async def _update(
        self, record_id: Id, data: Mapping[str, Any], parent: Id | None = None
    ) -> Record:
        path = self._item(parent, record_id)
        template = self.spec.item_template
        result: Record = await self._transport.request(
            "PUT", template, path, json=_check_data(data)
        )
        return result

    async def _delete(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = await self._transport.request("DELETE", self.spec.item_template, path)
        return result
