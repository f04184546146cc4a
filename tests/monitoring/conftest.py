"""Helpers for the monitoring tests: a fresh registry, scrapes parsed by prometheus_client."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

# Every route template of the API: the only values an ``endpoint`` label may take (with
# the look-ups a client makes once on the live model: the fields, the team member).
from open_to_close._model.resources import RESOURCES

TEMPLATES = {"/propertyFields"} | {
    t for spec in RESOURCES for t in (spec.collection_template, spec.item_template)
}


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def samples(text: str | bytes, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples called ``name`` in a scrape, parsed by prometheus_client's own parser."""
    if isinstance(text, bytes):
        text = text.decode()
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(text: str | bytes, name: str, **labels: Any) -> float:
    return samples(text, name).get(tuple(sorted(labels.items())), 0.0)


def scrape(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()
