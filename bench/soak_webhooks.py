"""Webhook soak (issue 11): 10,000 deliveries through ``otc serve`` with Celery on RabbitMQ,
while a proxy drops the broker link twice and a worker is SIGKILLed.

    python bench/soak_webhooks.py                      # 10,000 deliveries (a few minutes)
    python bench/soak_webhooks.py --deliveries 1000    # a quicker pass
    python bench/soak_webhooks.py --json soak.json     # the figures saved too

One ``otc serve --role web`` and two ``--role worker`` processes (2 threads each) reach
RabbitMQ through a TCP proxy; state and the handler's record are in a PostgreSQL database
made for the run. A sender (8 threads) posts distinct signed deliveries and retries each
until a 2xx, as a real sender does. As the 2xx answers pass 20%, 45% and 70%: the proxy
silences every broker link for 0.5 s (what is sent vanishes, as on a link that dies), then
cuts them and refuses new ones for 2 s; a worker is SIGKILLed and another started; the
links are dropped again. Then: every event answered 2xx must be handled, once (twice
only if the killed worker ran it to the end but died before settling it). The harness is
``tests/service/_soak.py``, which ``tests/service/test_soak.py`` runs at 300 deliveries.

Prints the counts and the disruptions; exits 1 if an invariant fails (with the events and
the services' log lines that show it), 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness is in tests/

from tests.service._soak import run_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000, help="events to send")
    parser.add_argument("--threads", type=int, default=8, help="sender threads")
    parser.add_argument(
        "--rate", type=float, default=None, help="new deliveries per second at most"
    )
    parser.add_argument("--refuse", type=float, default=2.0, help="seconds each outage lasts")
    parser.add_argument(
        "--handler-delay", type=float, default=0.005, help="seconds each handler run takes"
    )
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the config and logs")
    args = parser.parse_args()
    if args.deliveries < 10 or args.threads < 1 or args.refuse < 0:
        parser.error("--deliveries must be at least 10, --threads at least 1, --refuse >= 0")

    workdir = Path(tempfile.mkdtemp(prefix="otc-soak-"))
    result = run_soak(
        args.deliveries,
        workdir,
        threads=args.threads,
        rate=args.rate,
        refuse_for=args.refuse,
        handler_delay=args.handler_delay,
    )
    print(result.table())
    if args.json:
        saved = {"figures": result.figures, "disruptions": result.chaos}
        args.json.write_text(json.dumps({**saved, "failures": result.failures}, indent=2) + "\n")
    if args.keep or result.failures:
        print(f"\nconfig and service logs: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
