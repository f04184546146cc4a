"""Change feed benchmark: what a scan costs, and how it shares the rate with the user's calls.

    python bench/feed.py            # full run (about 2 minutes)
    python bench/feed.py --quick    # smaller counts, for a smoke check

- Requests per scan of N live-sized properties (the sandbox clamps pages at 50, as live):
  the first scan of a new client and a later one, against ceil(N/50) + 1.
- Budget: a sandbox limited to 10 requests/s without headers, a client with
  rate_limit="10/s", a feed with budget=0.5 scanning N properties while a thread of the
  user's own retrieves runs on the same client: the scan's time and its share of its 5/s,
  the user's share of the limit, failed calls.
- Delivery: a status change made while the feed runs every few seconds, and how long until
  the handler has it (target: within one interval plus one scan).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import RemoteSandbox, sandbox_process
from open_to_close import OpenToCloseAPI, OpenToCloseAPIError
from open_to_close.events import ChangeFeed
from open_to_close.webhooks import WebhookHandler


def scan_requests(sb: RemoteSandbox, n: int, workdir: str) -> dict[str, Any]:
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        client.property_fields.keys()
        state = f"sqlite:///{workdir}/scan-{n}.db"
        with ChangeFeed(client, state=state, emit_existing=False) as feed:
            feed.poll_once()
            first = feed.requests  # the fields were read before
            feed.poll_once()
            again = feed.requests
    bound = math.ceil(n / 50) + 1
    return {
        "properties": n,
        "first_scan": first,
        "later_scan": again,
        "bound": bound,
        "pass": first <= bound and again <= bound,
    }


def budget_run(sb: RemoteSandbox, n: int, workdir: str) -> dict[str, Any]:
    limit, budget = 10.0, 0.5
    sb.set_rate_limit(f"{int(limit)}/s")
    user_ok = user_failed = 0
    done = threading.Event()
    with OpenToCloseAPI(sb.api_key, sb.base_url, rate_limit=f"{int(limit)}/s") as client:
        client.property_fields.keys()

        def user() -> None:
            nonlocal user_ok, user_failed
            while not done.is_set():
                try:
                    client.properties.retrieve_property(1)
                    user_ok += 1
                except OpenToCloseAPIError:
                    user_failed += 1

        state = f"sqlite:///{workdir}/budget.db"
        with ChangeFeed(client, state=state, budget=budget, emit_existing=False) as feed:
            thread = threading.Thread(target=user)
            time.sleep(1 - time.time() % 1)  # start on a window boundary
            started = time.perf_counter()
            thread.start()
            feed.poll_once()
            scan_s = time.perf_counter() - started
            done.set()
            thread.join()
            requests = feed.requests
    sb.set_rate_limit(None)
    feed_rate = requests / scan_s
    user_rate = user_ok / scan_s
    served_429 = sb.stats()["rate_limited"]
    return {
        "properties": n,
        "scan_seconds": round(scan_s, 1),
        "scan_requests": requests,
        "share_of_budget_used": round(feed_rate / (limit * budget), 3),
        "user_calls_per_s": round(user_rate, 2),
        "user_share_of_limit": round(user_rate / limit, 3),
        "user_failed": user_failed,
        "answers_429": served_429,
        "pass": scan_s <= 23 * n / 5000 + 1
        and feed_rate >= 0.9 * limit * budget
        and user_rate >= 0.45 * limit
        and user_failed == 0,
    }


def delivery(sb: RemoteSandbox, every: float, workdir: str) -> dict[str, Any]:
    seen = threading.Event()
    handler = WebhookHandler("unused", dedupe=f"sqlite:///{workdir}/seen.db")
    handler.register_handler("property.status_changed", lambda event: seen.set())
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        client.property_fields.keys()
        feed = ChangeFeed(
            client, handler, state=f"sqlite:///{workdir}/latency.db", emit_existing=False
        )
        feed.poll_once()
        started = time.perf_counter()
        feed.poll_once()
        scan_s = time.perf_counter() - started
        runner = threading.Thread(target=feed.run, args=(every,))
        runner.start()
        time.sleep(every / 3)
        changed_at = time.perf_counter()
        client.properties.update_property(1, {"status": "terminated"})
        seen.wait(every + 10 * scan_s + 5)
        latency = time.perf_counter() - changed_at
        feed.stop()
        runner.join()
        feed.close()
    handler.close()
    return {
        "every_seconds": every,
        "scan_seconds": round(scan_s, 2),
        "latency_seconds": round(latency, 2),
        "pass": seen.is_set() and latency <= every + scan_s + 0.5,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (smoke check)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    big = 1_000 if args.quick else 5_000
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="otc-bench-feed-") as workdir:
        for n in (137, big):
            with sandbox_process(seed=n) as sb:
                figures[f"requests per scan of {n}"] = scan_requests(sb, n, workdir)
                if n == big:
                    figures["budget 50% of 10/s"] = budget_run(sb, n, workdir)
        with sandbox_process(seed=500) as sb:
            figures["delivery"] = delivery(sb, 3.0, workdir)
    for name, fig in figures.items():
        print(f"{name}: {json.dumps(fig)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    failed = [name for name, fig in figures.items() if not fig["pass"]]
    if failed:
        print("below target: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
