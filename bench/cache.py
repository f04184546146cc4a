"""Cache and monitoring benchmark: a cache hit against what it saves, side by side.

    python bench/cache.py            # full run (about a minute)
    python bench/cache.py --quick    # smaller counts, for a smoke check

- memory-cache hit vs an API round trip to the sandbox (in another process): >= 100x;
- Redis hit through CachedOTCClient vs a raw redis-py GET + json.loads: at most 1.5x
  slower (ratio >= 0.67);
- a sandbox round trip with ``instrument`` attached vs without: at most 5 % slower.

Rounds are interleaved and medians taken, as in bench/client.py.

On live-sized records (497 field values, ~65 KB of JSON) a hit returns a fresh copy of
~500 dicts, about 0.1 ms, against a local sandbox round trip of under 1 ms: the 100x was
set on the guide's flat records. Against the live API (a network round trip, and about
one request a second) a hit saves far more.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import Report, interleaved
from _servers import RemoteSandbox, sandbox_process
from client import timed
from open_to_close import OpenToCloseAPI
from open_to_close.cache import CachedOTCClient, MemoryCache, RedisCache
from open_to_close.monitoring import instrument

REDIS_URL = "redis://127.0.0.1:6379/0"


def memory_hit_vs_api(sb: RemoteSandbox, n_api: int, rounds: int) -> dict[str, float]:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        cached = CachedOTCClient(client, MemoryCache(), registry=CollectorRegistry())
        pid = client.properties.create_property(_record())["id"]
        get, retrieve = cached.get_property, client.properties.retrieve_property
        n_hits = n_api * 100

        def hit() -> float:
            return timed(n_hits, lambda: _repeat(n_hits, lambda: get(pid)))

        def api() -> float:
            return timed(n_api, lambda: _repeat(n_api, lambda: retrieve(pid)))

        hit(), api()  # warm up
        return interleaved(rounds, hit=hit, api=api)


def redis_hit_vs_raw(sb: RemoteSandbox, n: int, rounds: int) -> dict[str, float]:
    prefix = f"otc-bench-{uuid.uuid4().hex[:8]}:"
    raw = redis.Redis.from_url(REDIS_URL)
    backend = RedisCache(REDIS_URL, prefix=prefix)
    try:
        with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
            cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
            pid = client.properties.create_property(_record())["id"]
            record = cached.get_property(pid)  # now cached
            raw_key = f"{prefix}raw:{pid}"
            raw.set(raw_key, json.dumps(record))
            get, raw_get, loads = cached.get_property, raw.get, json.loads

            def ours() -> float:
                return timed(n, lambda: _repeat(n, lambda: get(pid)))

            def baseline() -> float:
                return timed(n, lambda: _repeat(n, lambda: loads(raw_get(raw_key))))

            ours(), baseline()
            return interleaved(rounds, ours=ours, raw=baseline)
    finally:
        backend.clear()
        backend.close()
        raw.close()


def instrument_overhead(sb: RemoteSandbox, n: int, rounds: int) -> dict[str, float]:
    """One client; the metrics hook attached for one run of each pair, not the other."""
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        pid = client.properties.create_property(_record())["id"]
        retrieve = client.properties.retrieve_property
        hook = instrument(client, CollectorRegistry())
        client.remove_hook(hook)

        def run() -> float:
            return timed(n, lambda: _repeat(n, lambda: retrieve(pid)))

        def instrumented() -> float:
            client.add_hook(hook)
            try:
                return run()
            finally:
                client.remove_hook(hook)

        run(), instrumented()
        return interleaved(rounds, instrumented=instrumented, plain=run)


def _repeat(n: int, call: Callable[[], Any]) -> None:
    """``call()`` ``n`` times, keeping no result: a live-sized record is ~225 KB decoded,
    and a list of 20,000 of them would measure the garbage collector."""
    for _ in range(n):
        call()


def _record() -> dict[str, Any]:
    return {
        "address": "123 Main St",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "listing_price": 500_000,
        "bedrooms": 3,
        "bathrooms": 2.0,
        "square_feet": 1800,
        "status": "active",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (smoke check)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    n_api, n_redis, n_rt, rounds = (200, 2_000, 500, 3) if args.quick else (500, 10_000, 1_500, 7)

    report = Report()
    row = report.row

    with sandbox_process() as sb:
        r = memory_hit_vs_api(sb, n_api, rounds)
        row("memory-cache hit vs API round trip", r["hit"], r["api"], 100, "reads/s")
        r = redis_hit_vs_raw(sb, n_redis, rounds)
        row("Redis hit vs raw redis-py GET + json.loads", r["ours"], r["raw"], 1 / 1.5, "reads/s")
        r = instrument_overhead(sb, n_rt, rounds)
        row(
            "round trip with instrument() vs without",
            r["instrumented"],
            r["plain"],
            0.95,
            "calls/s",
        )

    report.print_table()
    return report.finish(args.json)


if __name__ == "__main__":
    raise SystemExit(main())
