"""Teams: ``/teams``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from .._model.resources import BY_ATTRIBUTE
from ._base import AsyncResource, Id, Params, Record, SyncResource


class Teams(SyncResource):
    spec = BY_ATTRIBUTE["teams"]

    def list_teams(self, params: Params = None) -> list[Record]:
        return self._list(params)

    def iter_teams(self, params: Params = None, page_size: int = 100) -> Iterator[Record]:
        return self._iter(params, page_size)

    def create_team(self, data: Mapping[str, Any]) -> Record:
        return self._create(data)

    def retrieve_team(self, id: Id) -> Record:
        return self._retrieve(id)

    def update_team(self, id: Id, data: Mapping[str, Any]) -> Record:
        return self._update(id, data)

    def delete_team(self, id: Id) -> Record:
        return self._delete(id)


class AsyncTeams(AsyncResource):
    spec = BY_ATTRIBUTE["teams"]

    async def list_teams(self, params: Params = None) -> list[Record]:
        return await self._list(params)

    def iter_teams(self, params: Params = None, page_size: int = 100) -> AsyncIterator[Record]:
        return self._iter(params, page_size)

    async def create_team(self, data: Mapping[str, Any]) -> Record:
        return await self._create(data)

    async def retrieve_team(self, id: Id) -> Record:
        return await self._retrieve(id)

    async def update_team(self, id: Id, data: Mapping[str, Any]) -> Record:
        return await self._update(id, data)

    async def delete_team(self, id: Id) -> Record:
        return await self._delete(id)
