"""Client benchmark: the SDK against raw HTTP clients doing the same calls, side by side.

    python bench/client.py            # full run (about 2 minutes, most of it the pacing run)
    python bench/client.py --quick    # smaller counts, for a smoke check

Every figure is a ratio measured in one run, rounds interleaved (ours, raw, ours, raw, ...)
and medians taken, because this machine is noisy. Servers run in their own processes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import Report, interleaved
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
        total = sum(1 for _ in client.properties.iter_properties(page_size=100))
        url = f"{sb.base_url}/properties"

        def ours() -> float:
            return timed(total, lambda: list(client.properties.iter_properties(page_size=100)))

        def read_all() -> list[dict[str, Any]]:
            records: list[dict[str, Any]] = []
            offset = 0
            while True:
                query = {"api_token": sb.api_key, "limit": 100, "offset": offset}
                page = raw.get(url, params=query).json()
                records += page
                if len(page) < 100:
                    return records
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


async def pacing(sb: RemoteSandbox, limit_per_s: int, n: int) -> dict[str, float]:
    counter = Count429()
    async with AsyncOpenToCloseAPI(sb.api_key, sb.base_url, http_backend="aiohttp") as client:
        client.add_hook(counter)
        pid = (await client.properties.create_property({"address": "1 Paced St"}))["id"]
        sb.set_rate_limit(f"{limit_per_s}/s")
        # Start on a window boundary, so the first window is a whole one.
        await asyncio.sleep(1 - time.time() % 1)
        rate = await _fan_out(n, 16, lambda: client.properties.retrieve_property(pid))
        sb.set_rate_limit(None)
    served_429 = sb.stats()["rate_limited"]
    return {
        "rate": rate,
        "limit": float(limit_per_s),
        "share_of_limit": rate / limit_per_s,
        "answers_429": float(served_429),
        "share_429": served_429 / (n + served_429),
    }


# -- the sandbox itself ------------------------------------------------------------------


async def sandbox_vs_bare(sb: RemoteSandbox, n: int, rounds: int) -> dict[str, float]:
    """Server throughput: aiohttp with 16 in flight saturates the server, not the client."""
    query = {"api_token": sb.api_key}
    with bare_starlette_process() as bare_url:
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{sb.base_url}/properties", params=query, json={"address": "1 A"}
            ) as created:
                pid = (await created.json())["id"]
            urls = {
                "sandbox": f"{sb.base_url}/properties/{pid}",
                "bare": f"{bare_url}/properties/{pid}",
            }

            def getter(url: str) -> Callable[[], Awaitable[Any]]:
                async def one() -> Any:
                    async with session.get(url, params=query) as response:
                        return await response.json()

                return one

            results: dict[str, Rates] = {name: [] for name in urls}
            for url in urls.values():
                await _fan_out(320, 16, getter(url))  # warm up
            for _ in range(rounds):
                for name, url in urls.items():
                    results[name].append(await _fan_out(n, 16, getter(url)))
    return {name: statistics.median(values) for name, values in results.items()}


# -- report ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (smoke check)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    n, rounds, iter_records = (600, 3, 2_000) if args.quick else (3_000, 5, 10_000)
    pacing_n = 200 if args.quick else 1_000

    report = Report()
    row = report.row
    figures = report.figures

    with sandbox_process() as sb:
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
    with sandbox_process(seed=iter_records) as sb:
        r = sync_iterate(sb, rounds)
        name = f"iter_properties over {int(r['records']):,} vs raw paging"
        row(name, r["ours"], r["raw"], 0.9, "records/s")
    with sandbox_process() as sb:
        p = asyncio.run(pacing(sb, 20, pacing_n))
    figures["pacing"] = {k: round(v, 3) for k, v in p.items()}
    figures["pacing"]["pass"] = p["share_of_limit"] >= 0.9 and p["share_429"] <= 0.02

    report.print_table()
    print(
        f"\npacing: 16 tasks, {pacing_n} retrieves against a 20/s limit: "
        f"{p['rate']:.1f}/s = {p['share_of_limit']:.0%} of the limit (target >= 90%), "
        f"{int(p['answers_429'])} answers 429 = {p['share_429']:.1%} (target <= 2%)"
    )
    return report.finish(args.json)


if __name__ == "__main__":
    raise SystemExit(main())
