"""Structured logs: JSON lines when asked, with the API key masked everywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from open_to_close import NetworkError, OpenToCloseAPI
from open_to_close._redact import register_secret
from open_to_close.monitoring import MonitoredOTCClient, configure_logging

from .conftest import closed_port

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    register_secret(SECRET)
    log = logging.getLogger("otc-test-logs")
    yield log
    log.handlers.clear()


def test_json_lines_carry_fields_and_mask_the_key(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", json_format=True, stream=stream, logger=logger.name)
    logger.info(
        "GET https://api/v1/properties?api_token=%s",
        SECRET,
        extra={"endpoint": "/properties", "status": 200, "token": SECRET},
    )
    try:
        raise RuntimeError(f"boom with {SECRET}")
    except RuntimeError:
        logger.exception("failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == logger.name
    assert first["timestamp"].endswith("Z")
    assert first["endpoint"] == "/properties" and first["status"] == 200
    assert first["message"] == "GET https://api/v1/properties?api_token=***"
    assert first["token"] == "***"
    assert "RuntimeError: boom with ***" in second["exception"]
    assert SECRET not in stream.getvalue()


def test_text_format_masks_tracebacks_too(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging(json_format=False, stream=stream, logger=logger.name)
    try:
        raise ValueError(f"key {SECRET} leaked")
    except ValueError:
        logger.exception("oops %s", SECRET)
    assert SECRET not in stream.getvalue()
    assert "oops ***" in stream.getvalue()


def test_configuring_twice_replaces_the_handler(
    logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTC_LOG_FORMAT", "json")
    stream = io.StringIO()
    configure_logging(stream=io.StringIO(), logger=logger.name)
    configure_logging(stream=stream, logger=logger.name)
    assert len(logger.handlers) == 1
    logger.warning("once")
    assert json.loads(stream.getvalue())["message"] == "once"


def test_failed_calls_log_without_the_key() -> None:
    stream = io.StringIO()
    root = logging.getLogger("open_to_close")
    saved = (root.handlers[:], root.level, root.propagate)
    try:
        configure_logging("INFO", json_format=True, stream=stream)
        client = OpenToCloseAPI(
            SECRET, f"http://127.0.0.1:{closed_port()}/v1", max_retries=1, retry_backoff=0.01
        )
        MonitoredOTCClient(client)
        with pytest.raises(NetworkError):
            client.property_notes.list_property_notes(7)
        client.close()
    finally:
        root.handlers[:], root.level, root.propagate = saved
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = [line for line in lines if line["message"].startswith("API call failed")]
    assert failed and failed[0]["error_type"] == "NetworkError"
    assert failed[0]["endpoint"] == "/properties/{property_id}/notes"
    assert failed[0]["path"] == "/properties/7/notes"
    assert SECRET not in stream.getvalue()
