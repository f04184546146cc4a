"""The clients: one transport (one connection pool) and one attribute per resource."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx2

from . import _constants as C
from ._hooks import Hook
from ._transport import AsyncTransport, HttpBackend, SyncTransport
from .config import (
    LIVE_SETTINGS,
    ClientSettings,
    build_settings,
    environment_settings,
    file_settings,
    secret_settings,
)
from .property_fields import AsyncPropertyFields, PropertyFields
from .resources.agents import Agents, AsyncAgents
from .resources.contacts import AsyncContacts, Contacts
from .resources.properties import AsyncProperties, Properties
from .resources.property_contacts import AsyncPropertyContacts, PropertyContacts
from .resources.property_documents import AsyncPropertyDocuments, PropertyDocuments
from .resources.property_emails import AsyncPropertyEmails, PropertyEmails
from .resources.property_notes import AsyncPropertyNotes, PropertyNotes
from .resources.property_tasks import AsyncPropertyTasks, PropertyTasks
from .resources.tags import AsyncTags, Tags
from .resources.teams import AsyncTeams, Teams
from .resources.users import AsyncUsers, Users

__all__ = ["AsyncOpenToCloseAPI", "OpenToCloseAPI"]


class _ClientBase:
    """Construction and configuration shared by the sync and async clients."""

    settings: ClientSettings
    _transport: SyncTransport | AsyncTransport

    if TYPE_CHECKING:  # what the ``from_*`` constructors may pass; the subclasses define it

        def __init__(self, *, settings: ClientSettings | None = None, **options: Any) -> None: ...

    @classmethod
    def from_environment(cls, name: str, **options: Any) -> Self:
        """A client for ``development``, ``staging`` or ``production``.

        The key comes from ``OPEN_TO_CLOSE_API_KEY_<NAME>``, the base URL from
        ``OPEN_TO_CLOSE_BASE_URL_<NAME>`` or the environment's default.
        """
        settings = environment_settings(name, **_settings_options(options))
        return cls(settings=settings, **options)

    @classmethod
    def from_config(cls, path: str | os.PathLike[str], **options: Any) -> Self:
        """A client from a JSON or TOML file with ``api_key``, ``base_url``, ``timeout``, ..."""
        return cls(settings=file_settings(path, **_settings_options(options)), **options)

    @classmethod
    def from_secret(cls, secret_name: str, region_name: str = "us-east-1", **options: Any) -> Self:
        """A client from an AWS Secrets Manager secret (JSON with ``api_key``, ``base_url``).

        Needs the ``aws`` extra: ``pip install 'open-to-close[aws]'``.
        """
        settings = secret_settings(secret_name, region_name, **_settings_options(options))
        return cls(settings=settings, **options)

    @property
    def hooks(self) -> list[Hook]:
        """Hooks called around every request (see :class:`open_to_close.Hook`)."""
        return self._transport.hooks

    def add_hook(self, hook: Hook) -> None:
        self._transport.hooks.append(hook)

    def remove_hook(self, hook: Hook) -> None:
        self._transport.hooks.remove(hook)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r}, api_key='***')"


_SETTING_NAMES = ("timeout", "max_retries", "retry_backoff", "max_retry_delay", *LIVE_SETTINGS)


def _settings_options(options: dict[str, Any]) -> dict[str, Any]:
    """Move the settings out of ``options`` (what is left goes to the constructor)."""
    return {name: options.pop(name) for name in _SETTING_NAMES if name in options}


class OpenToCloseAPI(_ClientBase):
    """The Open To Close API, blocking. Safe to share across threads.

    >>> client = OpenToCloseAPI()  # reads OPEN_TO_CLOSE_API_KEY  # doctest: +SKIP
    >>> client.properties.retrieve_property(12)  # doctest: +SKIP
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        retry_backoff: float = C.DEFAULT_RETRY_BACKOFF,
        max_retry_delay: float = C.DEFAULT_MAX_RETRY_DELAY,
        team_member_id: int | None = None,
        time_zone_id: int | None = None,
        rate_limit: str | float | None = None,
        field_aliases: Mapping[str, str] | None = None,
        status_map: Mapping[str, str] | None = None,
        retry_posts: str | None = None,
        settings: ClientSettings | None = None,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self.settings = settings or build_settings(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            max_retry_delay=max_retry_delay,
            team_member_id=team_member_id,
            time_zone_id=time_zone_id,
            rate_limit=rate_limit,
            field_aliases=field_aliases,
            status_map=status_map,
            retry_posts=retry_posts,
        )
        self._transport: SyncTransport = SyncTransport(self.settings, http_client)
        transport = self._transport
        self.agents = Agents(transport)
        self.contacts = Contacts(transport)
        self.property_fields = PropertyFields(transport)
        self.properties = Properties(transport, self.property_fields)
        self.teams = Teams(transport)
        self.users = Users(transport)
        self.tags = Tags(transport)
        self.property_contacts = PropertyContacts(transport)
        self.property_documents = PropertyDocuments(transport)
        self.property_emails = PropertyEmails(transport)
        self.property_notes = PropertyNotes(transport)
        self.property_tasks = PropertyTasks(transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncOpenToCloseAPI(_ClientBase):
    """The Open To Close API for asyncio: the same surface, awaited.

    ``http_backend="aiohttp"`` (the ``aiohttp`` extra) sends through aiohttp, which is
    several times faster than httpx2's async client under many concurrent requests.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        retry_backoff: float = C.DEFAULT_RETRY_BACKOFF,
        max_retry_delay: float = C.DEFAULT_MAX_RETRY_DELAY,
        team_member_id: int | None = None,
        time_zone_id: int | None = None,
        rate_limit: str | float | None = None,
        field_aliases: Mapping[str, str] | None = None,
        status_map: Mapping[str, str] | None = None,
        retry_posts: str | None = None,
        settings: ClientSettings | None = None,
        http_backend: HttpBackend = "httpx2",
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        self.settings = settings or build_settings(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            max_retry_delay=max_retry_delay,
            team_member_id=team_member_id,
            time_zone_id=time_zone_id,
            rate_limit=rate_limit,
            field_aliases=field_aliases,
            status_map=status_map,
            retry_posts=retry_posts,
        )
        self._transport: AsyncTransport = AsyncTransport(self.settings, http_backend, http_client)
        transport = self._transport
        self.agents = AsyncAgents(transport)
        self.contacts = AsyncContacts(transport)
        self.property_fields = AsyncPropertyFields(transport)
        self.properties = AsyncProperties(transport, self.property_fields)
        self.teams = AsyncTeams(transport)
        self.users = AsyncUsers(transport)
        self.tags = AsyncTags(transport)
        self.property_contacts = AsyncPropertyContacts(transport)
        self.property_documents = AsyncPropertyDocuments(transport)
        self.property_emails = AsyncPropertyEmails(transport)
        self.property_notes = AsyncPropertyNotes(transport)
        self.property_tasks = AsyncPropertyTasks(transport)

    @property
    def http_backend(self) -> HttpBackend:
        return self._transport.backend

    async def close(self) -> None:
        """Close the connection pool."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
