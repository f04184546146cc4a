"""The handlers of the survival test's worker process (``otc worker -i`` loads this).

Each handled event adds one to its row in a SQLite file, so the test can see an event
handled twice. The event of property ``OTC_TEST_SLOW_ID`` first leaves a marker and
hangs, so the test can SIGKILL the worker in the middle of a task.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from open_to_close.webhooks import WebhookHandler

handler = WebhookHandler(
    os.environ["OTC_TEST_SECRET"], dedupe=f"sqlite:///{os.environ['OTC_TEST_RESULTS']}.seen"
)
_db = sqlite3.connect(
    os.environ["OTC_TEST_RESULTS"], isolation_level=None, timeout=30, check_same_thread=False
)
_db.execute("CREATE TABLE IF NOT EXISTS handled (event_id TEXT PRIMARY KEY, n INTEGER)")


@handler.on("property.created")
def created(event: dict[str, Any]) -> None:
    marker = Path(os.environ["OTC_TEST_RESULTS"] + ".killme")
    if event["property"]["id"] == int(os.environ["OTC_TEST_SLOW_ID"]) and not marker.exists():
        marker.write_text(event["id"])
        time.sleep(60)  # killed here
    _db.execute(
        "INSERT INTO handled VALUES (?, 1) ON CONFLICT (event_id) DO UPDATE SET n = n + 1",
        (event["id"],),
    )
