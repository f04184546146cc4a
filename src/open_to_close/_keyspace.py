"""Disjoint Redis key spaces: the cache's own, apart from the queue's and the webhooks'.

Webhook dedupe keys and Celery task state (dead letters included) live under ``otc:``;
the cache lives under ``otc-cache:`` by default and never inside ``otc:``, so a cache
clear (which scans its prefix) deletes only cache entries. Kept free of imports: the
service config checks a prefix before metrics are set up.
"""

from __future__ import annotations

__all__ = ["DEFAULT_PREFIX", "RESERVED_PREFIX", "check_prefix"]

DEFAULT_PREFIX = "otc-cache:"
RESERVED_PREFIX = "otc:"  # webhook dedupe (otc:webhooks:), Celery state (otc:queue:<name>:)


def check_prefix(prefix: str) -> str:
    """``prefix`` if a cache's keys under it can't meet the dedupe and Celery keys.

    A clear scans ``prefix*``: a prefix inside ``otc:`` (or one ``otc:`` starts with) would
    delete dead letters and dedupe keys, and let replayed webhooks run again.
    """
    if not prefix:
        raise ValueError("prefix must not be empty: it keeps this cache's keys apart")
    if prefix.startswith(RESERVED_PREFIX) or RESERVED_PREFIX.startswith(prefix):
        raise ValueError(
            f"cache prefix {prefix!r} overlaps {RESERVED_PREFIX!r}, where webhook dedupe keys "
            f"and Celery dead letters live: a clear would delete them; use e.g. "
            f"{DEFAULT_PREFIX!r}"
        )
    return prefix
