"""Metrics of several worker processes are combined into one scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from open_to_close.monitoring import create_monitoring_app, metrics_text
from open_to_close.sandbox import SandboxServer

from .conftest import value

WORKER = """
import sys
from open_to_close import OpenToCloseAPI
from open_to_close.monitoring import instrument

with OpenToCloseAPI(sys.argv[1], sys.argv[2]) as client:
    instrument(client)
    pid = client.properties.create_property({"address": "1 Worker St"})["id"]
    for _ in range(int(sys.argv[3])):
        client.properties.retrieve_property(pid)
"""


@pytest.fixture
def multiproc_dir(sb: SandboxServer, tmp_path: Path) -> Path:
    """The metric files of two worker processes: 3 and 4 retrieves, one create each."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, sb.api_key, sb.base_url, str(reads)], env=env
        )
        for reads in (3, 4)
    ]
    for worker in workers:
        assert worker.wait(60) == 0
    return directory


async def test_workers_are_summed(multiproc_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = multiproc_dir
    text = metrics_text(multiprocess_dir=str(directory))
    item = {"method": "GET", "endpoint": "/properties/{id}"}
    assert value(text, "otc_api_requests_total", status="success", **item) == 7
    assert (
        value(
            text, "otc_api_requests_total", method="POST", endpoint="/properties", status="success"
        )
        == 2
    )
    assert value(text, "otc_api_request_duration_seconds_count", **item) == 7

    # The endpoint reads the same directory when the variable is set, whichever worker
    # answers.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    transport = httpx2.ASGITransport(app=create_monitoring_app(checks=[]))
    async with httpx2.AsyncClient(transport=transport, base_url="http://ops") as http:
        scraped = (await http.get("/metrics")).text
    assert value(scraped, "otc_api_requests_total", status="success", **item) == 7
