"""The webhook soak (issue 11), small: 300 deliveries through ``otc serve`` with Celery on
RabbitMQ while the broker link is dropped twice and a worker is SIGKILLed.

Defect 3: without publisher confirms, a 202 could be answered for an event the broker never
got (the link cut under the publish); the event was marked received, so the sender's retry
was answered ``duplicate`` and it was lost for good. Here every event answered 2xx must be
handled, once (twice only if its first run was in the killed worker).

The sender is paced (30 new deliveries a second) and each handler run takes 50 ms, so the
three disruptions land while deliveries are coming in and tasks are running. The full soak
is ``python bench/soak_webhooks.py`` (10,000 deliveries); both run ``_soak.run_soak``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._soak import run_soak

DELIVERIES = 300


@pytest.mark.slow
@pytest.mark.defect(3)
@pytest.mark.timeout(110)
def test_no_event_lost_or_run_twice_through_broker_drops_and_a_worker_kill(
    tmp_path: Path,
) -> None:
    result = run_soak(DELIVERIES, tmp_path, rate=30, handler_delay=0.05, settle=8)
    assert result.failures == [], result.table()
    figures = result.figures
    assert figures["answered 2xx"] == DELIVERIES
    assert figures["handled (distinct events)"] == DELIVERIES
    assert figures["messages left in RabbitMQ"] == 0
    assert len(result.chaos) == 3
