"""``client.property_fields``: the account's property fields, read once per client.

The live API stores a property as field values whose ids (and choice options' ids)
belong to the account, so nothing here hard-codes one: the first call that needs them
reads ``GET /propertyFields`` and keeps the answer for the client's life
(``refresh()`` reads it again, e.g. after someone adds a field in Open To Close).

>>> client.property_fields.get("contract_status")  # doctest: +SKIP
{'id': 926574, 'key': 'contract_status', 'title': 'Contract Status', 'type': 'choice',
 'options': [{'id': 5011, 'title': 'Listing-Active'}, ...]}
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ._model.codec import FieldTable, PropertyCodec
from ._transport import AsyncTransport, SyncTransport
from .exceptions import ConfigurationError
from .resources._base import as_list

__all__ = ["AsyncPropertyFields", "PropertyFields"]

PATH = "/propertyFields"
TEAMS_PATH = "/teams/"  # as the live API spells it; metrics label it /teams, as list_teams
TEAMS_TEMPLATE = "/teams"


def _codec(transport: SyncTransport | AsyncTransport, answer: Any) -> PropertyCodec:
    settings = transport.settings
    table = FieldTable.parse(as_list(answer, "GET", PATH))
    return PropertyCodec(table, settings.field_aliases, settings.status_map)


def first_team_member(teams: list[dict[str, Any]]) -> int | None:
    """The id of the first member of the first team that has one (what published
    clients create with when no ``team_member_id`` is set)."""
    for team in teams:
        members = team.get("team_members") if isinstance(team, dict) else None
        for member in members or ():
            if isinstance(member, dict) and member.get("id") is not None:
                return int(member["id"])
    return None


def _no_member() -> ConfigurationError:
    return ConfigurationError(
        "No team member to create properties with: GET /teams/ lists no team with "
        "team_members; set team_member_id (argument, config file or "
        "OPEN_TO_CLOSE_TEAM_MEMBER_ID)"
    )


class PropertyFields:
    """The account's property fields by key (blocking; safe to share across threads)."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._codec: PropertyCodec | None = None
        self._member: int | None = transport.settings.team_member_id

    @property
    def codec(self) -> PropertyCodec:
        """The flat view of this account (reads the fields on first use)."""
        codec = self._codec
        if codec is None:
            with self._lock:
                if self._codec is None:
                    self._codec = _codec(self._transport, self._read())
                codec = self._codec
        return codec

    def _read(self) -> Any:
        return self._transport.request("GET", PATH, PATH)

    def refresh(self) -> None:
        """Read ``GET /propertyFields`` again."""
        codec = _codec(self._transport, self._read())
        with self._lock:
            self._codec = codec

    def get(self, key: str) -> dict[str, Any] | None:
        """The field ``key``: its ``id``, ``key``, ``title``, ``type`` and, for a choice,
        its ``options`` (``[{"id", "title"}]``); None if the account has no such field."""
        field = self.codec.table.get(key)
        return None if field is None else field.describe()

    def keys(self) -> list[str]:
        return self.codec.table.keys()

    def __contains__(self, key: object) -> bool:
        return key in self.codec.table

    def __len__(self) -> int:
        return len(self.codec.table)

    def team_member_id(self) -> int:
        """The setting, else the first member of the first team (looked up once)."""
        if self._member is None:
            teams = as_list(
                self._transport.request("GET", TEAMS_TEMPLATE, TEAMS_PATH), "GET", TEAMS_PATH
            )
            member = first_team_member(teams)
            if member is None:
                raise _no_member()
            self._member = member
        return self._member


class AsyncPropertyFields:
    """The same for :class:`~open_to_close.AsyncOpenToCloseAPI`: every method is awaited."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport
        self._codec: PropertyCodec | None = None
        self._member: int | None = transport.settings.team_member_id
        self._loading: asyncio.Future[PropertyCodec] | None = None

    async def codec(self) -> PropertyCodec:
        if self._codec is not None:
            return self._codec
        loading = self._loading
        if loading is None or (
            loading.done() and (loading.cancelled() or loading.exception() is not None)
        ):
            # The first caller starts the read; the others await the same one.
            loading = self._loading = asyncio.ensure_future(self._load())
        return await asyncio.shield(loading)

    async def _load(self) -> PropertyCodec:
        codec = _codec(self._transport, await self._transport.request("GET", PATH, PATH))
        self._codec = codec
        return codec

    async def refresh(self) -> None:
        self._codec = None
        self._loading = None
        await self.codec()

    async def get(self, key: str) -> dict[str, Any] | None:
        field = (await self.codec()).table.get(key)
        return None if field is None else field.describe()

    async def keys(self) -> list[str]:
        return (await self.codec()).table.keys()

    async def team_member_id(self) -> int:
        if self._member is None:
            answer = await self._transport.request("GET", TEAMS_TEMPLATE, TEAMS_PATH)
            member = first_team_member(as_list(answer, "GET", TEAMS_PATH))
            if member is None:
                raise _no_member()
            self._member = member
        return self._member
