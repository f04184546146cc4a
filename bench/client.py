"""Client benchmark: the SDK against raw HTTP clients doing the same calls, side by side.

    python bench/client.py            # full run (about 4 minutes, most of it pacing runs)
    python bench/client.py --quick    # smaller counts, for a smoke check

Every figure is a ratio measured in one run, rounds interleaved (ours, raw, ours, raw, ...)
and medians taken, because this machine is noisy. Servers run in their own processes. The
sandbox serves live-sized properties (497 field values, ~60 KB of JSON each) and the client
builds the flat view on every property read; the raw clients only parse the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import Report, interleaved, peak_rss_mb
from _servers import RemoteSandbox, bare_starlette_process, sandbox_process
from open_to_close import AsyncOpenToCloseAPI, Call, Hook, OpenToCloseAPI
from open_to_close.exceptions import OpenToCloseAPIError, RateLimitError

Rates = list[float]


def timed(n: int, work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return n / (time.perf_counter() - started)


# -- sync --------------------------------------------------------------------------------


def sync_retrieve(sb: RemoteSandbox, n: int, rounds: int) -> dict[str, float]:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client, httpx2.Client() as raw:
        pid = client.properties.create_property({"address": "1 Bench St"})["id"]
        url, query = f"{sb.base_url}/properties/{pid}", {"api_token": sb.api_key}

        def ours() -> float:
            get = client.properties.retrieve_property
            return timed(n, lambda: [get(pid) for _ in range(n)])

        def baseline() -> float:
            return timed(n, lambda: [raw.get(url, params=query).json() for _ in range(n)])

        ours(), baseline()  # warm up the pools
        return interleaved(rounds, ours=ours, raw=baseline)


def sync_iterate(sb: RemoteSandbox, rounds: int) -> dict[str, float]:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client, httpx2.Client() as raw:
        total = sum(1 for _ in client.properties.iter_properties())
        url = f"{sb.base_url}/properties"

        def ours() -> float:
            return timed(total, lambda: sum(1 for _ in client.properties.iter_properties()))

        def read_all() -> int:
            # What a hand-written loop that knows the clamp (50) does: no flat view.
            count, offset = 0, 0
            while True:
                query = {"api_token": sb.api_key, "limit": 50, "offset": offset}
                page = raw.get(url, params=query).json()
                count += len(page)
                if len(page) < 50:
                    return count
                offset += len(page)

        def baseline() -> float:
            return timed(total, read_all)

        result = interleaved(rounds, ours=ours, raw=baseline)
        result["records"] = total
        return result


# -- async -------------------------------------------------------------------------------


async def _fan_out(n: int, in_flight: int, one: Callable[[], Awaitable[Any]]) -> float:
    per_worker = n // in_flight

    async def worker() -> None:
        for _ in range(per_worker):
            await one()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return per_worker * in_flight / (time.perf_counter() - started)


async def async_retrieve(
    sb: RemoteSandbox, backend: str, n: int, rounds: int, in_flight: int = 16
) -> dict[str, float]:
    async with AsyncOpenToCloseAPI(
        sb.api_key,
        sb.base_url,
        http_backend=backend,  # type: ignore[arg-type]
    ) as client:
        pid = (await client.properties.create_property({"address": "1 Async St"}))["id"]
        url, query = f"{sb.base_url}/properties/{pid}", {"api_token": sb.api_key}
        if backend == "aiohttp":
            raw_session: Any = aiohttp.ClientSession()

            async def raw_one() -> Any:
                async with raw_session.get(url, params=query) as response:
                    return await response.json()

            close_raw = raw_session.close
        else:
            raw_client = httpx2.AsyncClient()

            async def raw_one() -> Any:
                return (await raw_client.get(url, params=query)).json()

            close_raw = raw_client.aclose

        async def ours_one() -> Any:
            return await client.properties.retrieve_property(pid)

        results: dict[str, Rates] = {"ours": [], "raw": []}
        await _fan_out(in_flight * 20, in_flight, ours_one)  # warm up
        await _fan_out(in_flight * 20, in_flight, raw_one)
        for _ in range(rounds):
            results["ours"].append(await _fan_out(n, in_flight, ours_one))
            results["raw"].append(await _fan_out(n, in_flight, raw_one))
        await close_raw()
    return {name: statistics.median(values) for name, values in results.items()}


class Count429(Hook):
    def __init__(self) -> None:
        self.rate_limited = 0

    def on_retry(self, call: Call, error: OpenToCloseAPIError, delay: float) -> None:
        if isinstance(error, RateLimitError):
            self.rate_limited += 1


async def pacing(
    sb: RemoteSandbox, limit_per_s: int, n: int, rate_limit: str | None = None
) -> dict[str, float]:
    """16 tasks retrieving against a server limit; the share of the limit used and of 429s."""
    counter = Count429()
    async with AsyncOpenToCloseAPI(
        sb.api_key, sb.base_url, http_backend="aiohttp", rate_limit=rate_limit, max_retries=6
    ) as client:
        client.add_hook(counter)
        pid = (await client.properties.create_property({"address": "1 Paced St"}))["id"]
        sb.reset_stats()
        sb.set_rate_limit(f"{limit_per_s}/s")
        # Start on a window boundary, so the first window is a whole one.
        await asyncio.sleep(1 - time.time() % 1)
        rate = await _fan_out(n, 16, lambda: client.properties.retrieve_property(pid))
        sb.set_rate_limit(None)
    served_429 = sb.stats()["rate_limited"]
    sb.reset_stats()
    return {
        "rate": rate,
        "limit": float(limit_per_s),
        "share_of_limit": rate / limit_per_s,
        "answers_429": float(served_429),
        "share_429": served_429 / (n + served_429),
    }


# -- the sandbox itself ------------------------------------------------------------------


async def sandbox_vs_bare(sb: RemoteSandbox, n: int, rounds: int) -> dict[str, float]:
    """Server throughput: aiohttp with 16 in flight saturates the server, not the client.

    The bare app serves the sandbox's own record of property 1 (live-sized) as bytes."""
    query = {"api_token": sb.api_key}
    pid = 1
    body = httpx2.get(f"{sb.base_url}/properties/{pid}", params=query).content
    with bare_starlette_process(body) as bare_url:
        async with aiohttp.ClientSession() as session:
            urls = {
                "sandbox": f"{sb.base_url}/properties/{pid}",
                "bare": f"{bare_url}/properties/{pid}",
            }

            def getter(url: str) -> Callable[[], Awaitable[Any]]:
                async def one() -> Any:
                    async with session.get(url, params=query) as response:
                        return await response.read()

                return one

            results: dict[str, Rates] = {name: [] for name in urls}
            for url in urls.values():
                await _fan_out(320, 16, getter(url))  # warm up
            for _ in range(rounds):
                for name, url in urls.items():
                    results[name].append(await _fan_out(n, 16, getter(url)))
    return {name: statistics.median(values) for name, values in results.items()}


# -- the flat view, creates, memory ----------------------------------------------------


class CountCalls(Hook):
    def __init__(self) -> None:
        self.calls = 0

    def on_request(self, call: Call) -> None:
        self.calls += 1


def calls_per_create(sb: RemoteSandbox, n: int) -> float:
    """API calls per created property, amortised (the field and team look-ups happen once)."""
    counter = CountCalls()
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        client.add_hook(counter)
        for k in range(n):
            client.properties.create_property(
                {"address": f"{k} Count St", "status": "active", "listing_price": 400_000 + k}
            )
    return counter.calls / n


def flat_view_cost(sb: RemoteSandbox, n: int = 2_000) -> float:
    """Microseconds the flat view adds to one live-sized property read."""
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        record = client.properties.retrieve_property(1)
        codec = client.property_fields.codec
        raw = {k: v for k, v in record.items() if k not in codec.aliases}
        started = time.perf_counter()
        for _ in range(n):
            codec.flatten(raw)
        return (time.perf_counter() - started) / n * 1e6


def _iterate_in_child(base_url: str, api_key: str, conn: Any) -> None:
    with OpenToCloseAPI(api_key, base_url) as client:
        count = sum(1 for _ in client.properties.iter_properties())
    conn.send((count, peak_rss_mb()))


def iterate_memory(sb: RemoteSandbox) -> tuple[int, float]:
    """Peak resident MB of a fresh process reading every property through iter_properties."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_iterate_in_child, args=(sb.base_url, sb.api_key, child))
    proc.start()
    count, peak_mb = parent.recv()
    proc.join()
    return int(count), float(peak_mb)


# -- report ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (smoke check)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    n, rounds, iter_records = (600, 3, 1_000) if args.quick else (3_000, 5, 5_000)
    pacing_n, slow_n, creates = (200, 60, 200) if args.quick else (1_000, 250, 1_000)

    report = Report()
    row = report.row
    figures = report.figures

    with sandbox_process(seed=1) as sb:
        r = sync_retrieve(sb, n, rounds)
        row("sync retrieve-by-id vs raw httpx2.Client", r["ours"], r["raw"], 0.9, "calls/s")
        for backend, target in (("aiohttp", 0.8), ("httpx2", 0.9)):
            r = asyncio.run(async_retrieve(sb, backend, n * 2, rounds))
            raw_name = "aiohttp" if backend == "aiohttp" else "httpx2.AsyncClient"
            row(
                f"async ({backend}) 16 in flight vs raw {raw_name}",
                r["ours"],
                r["raw"],
                target,
                "calls/s",
            )
        r = asyncio.run(sandbox_vs_bare(sb, n * 2, rounds))
        row(
            "sandbox retrieve-by-id vs bare Starlette (server)",
            r["sandbox"],
            r["bare"],
            0.5,
            "calls/s",
        )
        figures["flat view per property read"] = {
            "microseconds": round(flat_view_cost(sb), 1),
            "pass": True,  # a cost to report; the retrieve ratios above carry the target
        }
        per_create = calls_per_create(sb, creates)
        figures["API calls per created property"] = {
            "creates": creates,
            "calls_per_create": round(per_create, 4),
            "pass": per_create <= 1.01,
        }
    with sandbox_process(seed=iter_records) as sb:
        r = sync_iterate(sb, rounds)
        name = f"iter_properties over {int(r['records']):,} vs raw paging"
        row(name, r["ours"], r["raw"], 0.9, "records/s")
        count, peak_mb = iterate_memory(sb)
        figures["iter_properties memory"] = {
            "records": count,
            "peak_rss_mb": round(peak_mb, 1),
            "pass": peak_mb < 300,
        }
    with sandbox_process(rate_limit_headers=True) as sb:
        p = asyncio.run(pacing(sb, 20, pacing_n))
    figures["pacing (headers)"] = {k: round(v, 3) for k, v in p.items()}
    figures["pacing (headers)"]["pass"] = p["share_of_limit"] >= 0.9 and p["share_429"] <= 0.02
    with sandbox_process() as sb:
        set_ = asyncio.run(pacing(sb, 5, slow_n, rate_limit="5/s"))
        learned = asyncio.run(pacing(sb, 5, slow_n))
    figures["pacing (no headers, rate_limit=5/s)"] = {k: round(v, 3) for k, v in set_.items()}
    figures["pacing (no headers, rate_limit=5/s)"]["pass"] = (
        set_["share_of_limit"] >= 0.9 and set_["share_429"] <= 0.02
    )
    figures["pacing (no headers, nothing set)"] = {k: round(v, 3) for k, v in learned.items()}
    figures["pacing (no headers, nothing set)"]["pass"] = learned["share_of_limit"] >= 0.7

    report.print_table()
    print(
        f"\nflat view: {figures['flat view per property read']['microseconds']} us per "
        f"property read; API calls per create over {creates}: {per_create:.4f} (target <= 1.01)"
    )
    print(
        f"iter_properties over {count:,} live-sized properties: peak {peak_mb:.0f} MB resident "
        "(target < 300 MB)"
    )
    for label, fig, target in (
        (f"headers, 20/s, {pacing_n} calls", p, ">= 90%, <= 2% 429"),
        (f"no headers, 5/s, rate_limit='5/s', {slow_n} calls", set_, ">= 90%, <= 2% 429"),
        (f"no headers, 5/s, nothing set, {slow_n} calls", learned, ">= 70%, no failed call"),
    ):
        print(
            f"pacing ({label}): {fig['rate']:.2f}/s = {fig['share_of_limit']:.0%} of the limit, "
            f"{int(fig['answers_429'])} answers 429 = {fig['share_429']:.1%} (target {target})"
        )
    return report.finish(args.json)


if __name__ == "__main__":
    raise SystemExit(main())
