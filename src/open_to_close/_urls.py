"""URLs of the package's stores: the folder of default files, the shared state database,
and the one scheme check.

Each engine lists the schemes its factory takes, and its default, next to that factory
(``queue.SCHEMES``, ``webhooks.dedupe.SCHEMES`` ...); the factory, the service config
(``otc.toml``) and the CLI check a URL against that list with :func:`check_scheme`. Two
lists live here instead: the state database's (shared by sync, the change feed, webhook
dedupe and ``otc serve``) and the cache's, because ``cache/`` imports ``prometheus_client``,
which the service config must be read before (its multiprocess mode is fixed on import).

Every default file lives in ``.otc/`` in the working directory, made on first use (with a
``.gitignore``, so state is not committed by accident). Kept free of heavy imports: the CLI
reads it to build its help.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ._redact import get_logger
from .exceptions import ConfigurationError

__all__ = [
    "CACHE_SCHEMES",
    "CACHE_URL",
    "HOME",
    "REDIS_SCHEMES",
    "SQL_SCHEMES",
    "STATE_SCHEMES",
    "STATE_URL",
    "check_cache_url",
    "check_scheme",
    "home_url",
    "is_redis_url",
    "make_home",
    "scheme_check",
    "url_scheme",
]

HOME = ".otc"  # the folder of every default file, in the working directory
# What the files in HOME replace: found in the working directory, they are named once.
_OLD_NAMES = (
    "otc-sync.db",
    "otc-state.db",
    "otc-webhooks.db",
    "otc_events.db",
    "otc-queue.db",
    "otc-queue-state.db",
    "otc_cache.db",
    "otc-sandbox.db",
)
_USERINFO = re.compile(r"^[^/@]*@")

log = get_logger(__name__)


def home_url(name: str) -> str:
    """``sqlite:///.otc/<name>``: a default file of the package."""
    return f"sqlite:///{HOME}/{name}"


STATE_URL = home_url("state.db")
SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")  # may name a driver
STATE_SCHEMES = ("sqlite", "postgresql", "postgres")  # what the state tables are written for
CACHE_URL = home_url("cache.db")  # SQLCache's file, and otc cache's
REDIS_SCHEMES = ("redis", "rediss", "unix")  # redis-py's from_url: the cache, claims, Celery state
CACHE_SCHEMES = (*REDIS_SCHEMES, *SQL_SCHEMES)


def url_scheme(url: str) -> str:
    """The scheme of ``url`` in lower case, without a driver: ``postgresql+psycopg://``
    gives ``postgresql``; ``""`` when there is none. Only SQLAlchemy's URLs name a driver
    (``base+driver``): another ``+`` stays, so ``redis+socket://`` (kombu's spelling, which
    redis-py does not read) matches no Redis scheme."""
    head, sep, _ = url.partition("://")
    if not sep:
        return ""
    base, plus, _driver = head.lower().partition("+")
    return base if plus and base in SQL_SCHEMES else head.lower()


def is_redis_url(url: str) -> bool:
    """Whether ``url`` names a Redis server (``redis://``, ``rediss://``, ``unix://``)."""
    return url_scheme(url) in REDIS_SCHEMES


def check_scheme(url: str, schemes: tuple[str, ...], what: str, *, also: str = "") -> str:
    """``url`` if its scheme is one of ``schemes``, else a :class:`ConfigurationError` (a
    ``ValueError``) listing them. ``also`` names a further value that is taken, e.g.
    ``'memory'``. The URL itself is never echoed when it has a scheme (it may hold a
    password)."""
    scheme = url_scheme(url)
    if scheme in schemes:
        return url
    choices = ", ".join(f"{s}://" for s in schemes) + (f", or {also}" if also else "")
    if scheme:
        found = f"unknown {what} URL scheme {scheme + '://'!r}"
    else:
        found = f"{_USERINFO.sub('***@', url)!r} is not a {what} URL"
    raise ConfigurationError(f"{found}: a {what} URL must start with one of {choices}")


def check_cache_url(url: str) -> str:
    """``url`` if ``cache.backend_from_url`` takes it; ``memory://`` reads as ``memory``."""
    if url in ("memory", "memory://"):
        return "memory"
    return check_scheme(url, CACHE_SCHEMES, "cache", also="'memory'")


def scheme_check(schemes: tuple[str, ...], what: str) -> Callable[[str], str]:
    """:func:`check_scheme` for ``schemes`` as a one-argument function (a validator)."""

    def check(url: str) -> str:
        return check_scheme(url, schemes, what)

    return check


def make_home(path: str | Path) -> None:
    """Make ``.otc/`` when ``path`` is a file in it and it is missing (with a ``.gitignore``
    of ``*``); on the first time, name the files of older versions found beside it."""
    folder = Path(path).parent
    if folder.name != HOME or folder.is_dir():
        return
    try:
        folder.mkdir()
        (folder / ".gitignore").write_text("# made by open-to-close: local state\n*\n")
    except FileExistsError:
        return  # another process made it first
    except OSError:
        return  # the store's own open says what is wrong
    old = [name for name in _OLD_NAMES if (folder.parent / name).is_file()]
    if old:
        log.warning(
            "default files now live in %s/; found %s from an older version beside it: "
            "give its URL to keep using it (see docs/cli.md)",
            folder,
            ", ".join(old),
        )
