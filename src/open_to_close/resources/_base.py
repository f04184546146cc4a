"""The CRUD every resource shares; a resource class only names its methods.

A resource is bound to one transport (so one connection pool serves every resource) and
to its row of :mod:`.._model.resources`, which gives its paths, its page clamp and the
fields the live API names differently from the guide (a note's ``content`` is sent as
``description``; reads carry both names). Nested resources (notes, tasks, ...) take the
property id first.

Updates follow the server: PUT first, and on a 405 the verb its ``Allow`` header names
(PATCH on the live API), remembered per client and route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from .._model.resources import BY_ATTRIBUTE, ResourceSpec
from .._pagination import aiter_pages, iter_pages
from .._transport import AsyncTransport, SyncTransport
from ..exceptions import MethodNotAllowedError, OpenToCloseAPIError

Record = dict[str, Any]
Params = Mapping[str, Any] | None
Id = int | str

_LIST_WRAPPERS = ("data", "results", "items")


def path_id(value: Id | None, what: str = "id") -> str:
    """An id as a path segment; refuses what would change the path (None, '', '..', '../x')."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value in ("", ".", ".."):
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


def check_data(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a dict of fields; got {type(data).__name__}")
    return data


def other_update_verb(allowed: tuple[str, ...], tried: str) -> str | None:
    """The verb to update with after a 405 for ``tried``: PATCH, else PUT, if allowed."""
    for verb in ("PATCH", "PUT"):
        if verb != tried and verb in allowed:
            return verb
    return None


class _Paths:
    spec: ClassVar[ResourceSpec]

    def _collection(self, parent: Id | None) -> str:
        spec = self.spec
        if spec.parent is None:
            return spec.path
        return f"{BY_ATTRIBUTE[spec.parent].path}/{path_id(parent, 'property_id')}{spec.path}"

    def _item(self, parent: Id | None, record_id: Id) -> str:
        return f"{self._collection(parent)}/{path_id(record_id)}"

    def _outgoing(self, data: Any) -> Mapping[str, Any]:
        """A body with the guide's names renamed to the API's."""
        body = check_data(data)
        renames = self.spec.renames
        if not renames or not any(name in body for name in renames):
            return body
        return {renames.get(name, name): value for name, value in body.items()}

    def _incoming(self, record: Record) -> Record:
        """A record with the guide's names beside the API's (never over them)."""
        for guide, api in self.spec.renames.items():
            if api in record and guide not in record:
                record[guide] = record[api]
        return record

    def _pager(self, transport: SyncTransport | AsyncTransport) -> dict[str, Any]:
        spec = self.spec
        return {
            "max_page": spec.max_page,
            "full_pages": transport.page_caps,
            "key": spec.collection_template,
        }


class SyncResource(_Paths):
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _raw_list(self, params: Params = None, parent: Id | None = None) -> list[Record]:
        path = self._collection(parent)
        payload = self._transport.request("GET", self.spec.collection_template, path, params)
        return as_list(payload, "GET", path)

    def _list(self, params: Params = None, parent: Id | None = None) -> list[Record]:
        return [self._incoming(record) for record in self._raw_list(params, parent)]

    def _raw_iter(
        self, params: Params, page_size: int, parent: Id | None = None
    ) -> Iterator[Record]:
        fetch = lambda query: self._raw_list(query, parent)  # noqa: E731
        return iter_pages(fetch, params, page_size, **self._pager(self._transport))

    def _iter(self, params: Params, page_size: int, parent: Id | None = None) -> Iterator[Record]:
        return map(self._incoming, self._raw_iter(params, page_size, parent))

    def _post(self, body: Any, parent: Id | None = None) -> Record:
        path = self._collection(parent) + self.spec.create_suffix
        template = self.spec.collection_template
        result: Record = self._transport.request("POST", template, path, json=body)
        return result

    def _create(self, data: Mapping[str, Any], parent: Id | None = None) -> Record:
        return self._incoming(self._post(self._outgoing(data), parent))

    def _retrieve(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = self._transport.request("GET", self.spec.item_template, path)
        return self._incoming(result)

    def _send_update(self, record_id: Id, body: Any, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        template = self.spec.item_template
        verbs = self._transport.update_verbs
        verb = verbs.get(template, "PUT")
        try:
            result: Record = self._transport.request(verb, template, path, json=body)
        except MethodNotAllowedError as exc:
            other = other_update_verb(exc.allowed, verb)
            if other is None:
                raise
            verbs[template] = other
            result = self._transport.request(other, template, path, json=body)
        return result

    def _update(self, record_id: Id, data: Mapping[str, Any], parent: Id | None = None) -> Record:
        return self._incoming(self._send_update(record_id, self._outgoing(data), parent))

    def _delete(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = self._transport.request("DELETE", self.spec.item_template, path)
        return result


class AsyncResource(_Paths):
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _raw_list(self, params: Params = None, parent: Id | None = None) -> list[Record]:
        path = self._collection(parent)
        template = self.spec.collection_template
        payload = await self._transport.request("GET", template, path, params)
        return as_list(payload, "GET", path)

    async def _list(self, params: Params = None, parent: Id | None = None) -> list[Record]:
        return [self._incoming(record) for record in await self._raw_list(params, parent)]

    def _raw_iter(
        self, params: Params, page_size: int, parent: Id | None = None
    ) -> AsyncIterator[Record]:
        fetch = lambda query: self._raw_list(query, parent)  # noqa: E731
        return aiter_pages(fetch, params, page_size, **self._pager(self._transport))

    async def _iter(
        self, params: Params, page_size: int, parent: Id | None = None
    ) -> AsyncIterator[Record]:
        async for record in self._raw_iter(params, page_size, parent):
            yield self._incoming(record)

    async def _post(self, body: Any, parent: Id | None = None) -> Record:
        path = self._collection(parent) + self.spec.create_suffix
        template = self.spec.collection_template
        result: Record = await self._transport.request("POST", template, path, json=body)
        return result

    async def _create(self, data: Mapping[str, Any], parent: Id | None = None) -> Record:
        return self._incoming(await self._post(self._outgoing(data), parent))

    async def _retrieve(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = await self._transport.request("GET", self.spec.item_template, path)
        return self._incoming(result)

    async def _send_update(self, record_id: Id, body: Any, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        template = self.spec.item_template
        verbs = self._transport.update_verbs
        verb = verbs.get(template, "PUT")
        try:
            result: Record = await self._transport.request(verb, template, path, json=body)
        except MethodNotAllowedError as exc:
            other = other_update_verb(exc.allowed, verb)
            if other is None:
                raise
            verbs[template] = other
            result = await self._transport.request(other, template, path, json=body)
        return result

    async def _update(
        self, record_id: Id, data: Mapping[str, Any], parent: Id | None = None
    ) -> Record:
        return self._incoming(await self._send_update(record_id, self._outgoing(data), parent))

    async def _delete(self, record_id: Id, parent: Id | None = None) -> Record:
        path = self._item(parent, record_id)
        result: Record = await self._transport.request("DELETE", self.spec.item_template, path)
        return result
