"""``otc cache warm|clear|cleanup``: look after a shared cache (Redis or SQL)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._urls import CACHE_URL
from ._errors import FAILED, exit_code, fail
from ._options import ApiKey, BaseUrl, require_existing

if TYPE_CHECKING:
    from ..cache.backend import CacheBackend

CacheUrl = Annotated[
    str | None,
    typer.Option(
        "--cache",
        metavar="URL",
        help="redis://host:6379/0, or a database URL (sqlite:///..., postgresql://...). "
        f"Default: $OTC_CACHE_URL, else {CACHE_URL}.",
    ),
]
Prefix = Annotated[
    str,
    typer.Option(
        metavar="PREFIX", help="Key prefix of a Redis cache (never inside otc:, the queue's)."
    ),
]


def _url(url: str | None) -> str:
    return url or os.environ.get("OTC_CACHE_URL") or CACHE_URL


def _backend(url: str | None, prefix: str) -> CacheBackend:
    from ..cache import backend_from_url
    from ..exceptions import ConfigurationError

    url = _url(url)
    if url == "memory":
        raise typer.BadParameter(
            "a memory cache lives inside one process; give a Redis or database URL",
            param_hint="--cache",
        )
    try:
        return backend_from_url(url, prefix=prefix)
    except (ConfigurationError, ValueError, ImportError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--cache") from None


def _refuse_missing_file(url: str | None) -> None:
    """A SQLite cache that isn't there: a typo, not an empty cache (clear and cleanup would
    create it and report zeros)."""
    made_by = "otc cache warm and SQLCache()"
    require_existing(_url(url), CACHE_URL, "--cache", "SQL cache", made_by)


def warm(
    cache: CacheUrl = None,
    prefix: Prefix = "otc-cache:",
    limit: Annotated[
        int, typer.Option(min=1, max=500, metavar="N", help="Active properties to cache.")
    ] = 50,
    teams: Annotated[bool, typer.Option(help="Also cache every team.")] = True,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Read the active properties (and teams) from the API into the cache."""
    from ..cache import CachedOTCClient, CacheWarmer
    from ..client import OpenToCloseAPI
    from ..exceptions import OpenToCloseAPIError

    backend = _backend(cache, prefix)
    try:
        with (
            OpenToCloseAPI(api_key, base_url) as client,
            CachedOTCClient(client, backend) as cached,
        ):
            warmer = CacheWarmer(cached)
            properties = warmer.warm_popular_properties(limit)
            team_count = warmer.warm_team_data() if teams else 0
    except OpenToCloseAPIError as exc:
        fail(str(exc), exit_code(exc))
    finally:
        backend.close()
    typer.echo(f"cached {properties} properties and {team_count} teams in {backend!r}")


def _admin(url: str | None, prefix: str, operation: str) -> tuple[CacheBackend, Any]:
    """Run ``clear`` or ``cleanup`` on the backend; a failure is a one-line error."""
    from ..cache import CacheBackendError

    _refuse_missing_file(url)
    backend = _backend(url, prefix)
    try:
        return backend, getattr(backend, operation)()
    except CacheBackendError as exc:
        fail(str(exc), FAILED)
    finally:
        backend.close()


def clear(cache: CacheUrl = None, prefix: Prefix = "otc-cache:") -> None:
    """Remove every entry of the cache (of this prefix, for Redis)."""
    backend, removed = _admin(cache, prefix, "clear")
    typer.echo(f"removed {removed} entries from {backend!r}")


def cleanup(cache: CacheUrl = None, prefix: Prefix = "otc-cache:") -> None:
    """Delete expired entries of a SQL cache (Redis expires its own)."""
    from ..cache.database import expired_summary

    backend, removed = _admin(cache, prefix, "cleanup")
    if backend.name == "redis":
        typer.echo("Redis expires entries itself: nothing to clean up")
        return
    summary = expired_summary(removed)
    typer.echo(
        f"expired_properties: {summary['expired_properties']}, "
        f"expired_lists: {summary['expired_lists']}, total removed: {sum(removed.values())}"
    )


def register(app: typer.Typer) -> None:
    """Add ``otc cache`` to the ``otc`` command."""
    group = typer.Typer(
        rich_markup_mode=None, help="Warm, clear or clean up a shared cache (Redis or SQL)."
    )
    group.command("warm", short_help="Read active properties and teams into the cache.")(warm)
    group.command("clear")(clear)
    group.command("cleanup")(cleanup)
    app.add_typer(group, name="cache")
